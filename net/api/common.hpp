// Helpers shared by the resource handlers: asking an entity with the reply
// mapped to HTTP, the JSON renderings of entity states, and access checks.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/problem.hpp"
#include "actors/runtime/region.hpp"
#include "net/http/handler.hpp"

namespace agora::net::api {

struct services;

/// A resource handler that needs the node's services.
using resource_fn = void (*)(services&, http::request&, http::responder);

/// Binds a resource handler to the services for the router.
inline http::handler bind(services& s, resource_fn fn) {
  return [&s, fn](http::request& req, http::responder res) { fn(s, req, std::move(res)); };
}

/// Sends `cmd` to entity `id` (its events carry `correlation_id`, the
/// request id); a rejection becomes the error response, a success calls
/// `ok(view, res)` (on a CAF thread; it must not block).
template <class Traits, class F>
void ask(const runtime::region_ref<Traits>& region, std::string id,
         typename Traits::command cmd, std::string correlation_id, http::responder res, F ok) {
  region.tell(std::move(id), std::move(cmd), std::move(correlation_id),
              [res = std::move(res), ok = std::move(ok)](result<runtime::view_t<Traits>> r) mutable {
                if (!r)
                  return res.error(r.error());
                ok(std::move(*r), res);
              });
}

/// 401 when an owned resource is accessed without a token, 403 when the
/// caller is neither its owner nor an admin; nullopt when access is fine.
/// A resource without an owner (a guest cart) is open to anyone.
std::optional<problem> check_owner(const std::optional<auth::principal>& caller,
                                   const std::optional<std::string>& owner);

/// Renders a JSON value as the response body.
inline void reply_json(const http::responder& res, unsigned status, const json::value& v) {
  res.json(status, json::serialize(v));
}

} // namespace agora::net::api
