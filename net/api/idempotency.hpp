// Idempotency-Key on mutating POSTs (API.md "Conventions"): a repeat with the
// same key and body gets the first response again and runs nothing; the same
// key with another body is 409 conflict; a repeat while the first is still
// running is 409 conflict with details.reason = "in_progress". Keys are
// scoped to the caller and to method + path, stored in PostgreSQL (so they
// hold across restarts and nodes) and remembered for 48 hours.
#pragma once

#include <string>
#include <string_view>

#include "net/http/handler.hpp"
#include "net/http/router.hpp"

namespace agora::net::api {

struct services;

/// Wraps every POST route of `r` except login (it changes nothing).
void make_posts_idempotent(http::router& r, services& s);

/// The key's scope: the caller (customer, admin or anonymous), the method
/// and the path (the query string is ignored).
std::string idempotency_scope(const http::request& req);

/// Hex SHA-256 of the request body.
std::string body_digest(std::string_view body);

} // namespace agora::net::api
