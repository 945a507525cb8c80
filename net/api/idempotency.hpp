// Idempotency-Key on mutating POSTs (API.md "Conventions"): a repeat with the
// same key and body gets the first response again and runs nothing; the same
// key with another body is 409 conflict; a repeat while the first is still
// running is 409 conflict with details.reason = "in_progress". Keys are
// scoped to the caller and to method + path, stored in PostgreSQL (so they
// hold across restarts and nodes) and remembered for 48 hours.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/http/handler.hpp"
#include "net/http/router.hpp"

namespace agora::net::api {

struct services;

/// Wraps every POST route of `r` except login (it changes nothing) and those
/// that keep their keys themselves (route::keeps_idempotency_keys: the
/// checkout POST, in the checkout's own record, carts.cpp).
void make_posts_idempotent(http::router& r, services& s);

/// Keys are opaque printable ASCII, 1-255 characters.
bool valid_idempotency_key(std::string_view key);

/// The 400 for a key that is not.
problem invalid_idempotency_key();

/// A response as recorded under a key, and back (nullopt: unreadable).
std::string encode_response(const http::response& r);
std::optional<http::response> decode_response(int32_t status, std::string_view text);

/// A UUID (version 8) from SHA-256 of the key's scope and the key: the id of
/// the entity whose record answers the key's repeats.
std::string keyed_id(std::string_view scope, std::string_view key);

/// The key's scope: the caller (customer, admin or anonymous), the method
/// and the path (the query string is ignored).
std::string idempotency_scope(const http::request& req);

/// Hex SHA-256 of the request body.
std::string body_digest(std::string_view body);

} // namespace agora::net::api
