// The route table: (method, path pattern) → handler, plus what each route
// requires from the caller. Pure data and matching, no I/O, so it is
// table-tested on its own (tests/net/router_test.cpp).
//
// Patterns are absolute paths whose segments are literals or `{name}`:
// `/api/v1/carts/{cart_id}/items/{sku}`. Matching rules:
//  - a `{param}` segment matches any non-empty segment, percent-decoded;
//  - when several patterns match a path, literal segments win over params,
//    compared left to right (`/products/suggest` beats `/products/{sku}`);
//  - the most specific pattern that matches decides: if it has no route for
//    the method, the answer is 405 with an Allow header, even when a less
//    specific pattern would accept the method (`PUT /products/suggest` is
//    405, `suggest` is a reserved word, not a SKU);
//  - no pattern matches: 404;
//  - a trailing slash is ignored (`/api/v1/carts/` is `/api/v1/carts`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/http/handler.hpp"

namespace agora::net::http {

/// One registered route.
struct route {
  verb method = verb::get;
  /// The pattern as registered (`/api/v1/carts/{cart_id}`).
  std::string pattern;
  /// The name used in metrics and logs (the pattern unless given).
  std::string name;
  auth_requirement auth = auth_requirement::none;
  handler fn;
  /// How long the handler may take before the server answers 503; zero
  /// means the server's http.request_timeout_ms. Long-polling routes
  /// (`?wait=true`) set a longer one: `r.post(...).timeout = 15s;`.
  std::chrono::milliseconds timeout{0};
  /// The handler keeps its Idempotency-Keys itself (the checkout POST, in
  /// its checkout's record): api::make_posts_idempotent leaves it alone.
  bool keeps_idempotency_keys = false;
  /// Position in the table (stable; used to cache per-route metrics).
  size_t id = 0;
  /// Parameter names by segment index (empty for literal segments).
  std::vector<std::string> param_names;
};

/// The outcome of matching a request against the table.
struct route_match {
  enum class outcome : uint8_t { found, not_found, method_not_allowed };
  outcome kind = outcome::not_found;
  /// Set when kind == found.
  const route* matched = nullptr;
  /// Decoded `{param}` values by name (kind == found).
  field_list params;
  /// For 405: the methods the path does accept, `"GET, PUT"`.
  std::string allow;
};

/// The route table. Built before the server starts; read-only (and so safe to
/// share between I/O threads) afterwards.
class router {
public:
  router();
  ~router();
  router(router&&) noexcept;
  router& operator=(router&&) noexcept;

  /// Registers a route. Throws std::invalid_argument for a malformed pattern
  /// (not starting with '/', an empty or unterminated `{}`) or a duplicate
  /// (method, pattern) pair: both are programming errors found at start-up.
  /// The returned route may be adjusted (timeout) until the server starts.
  route& add(verb method, std::string_view pattern, auth_requirement auth, handler fn,
                   std::string name = {});

  /// Shorthands for add().
  route& get(std::string_view pattern, auth_requirement auth, handler fn) {
    return add(verb::get, pattern, auth, std::move(fn));
  }
  route& post(std::string_view pattern, auth_requirement auth, handler fn) {
    return add(verb::post, pattern, auth, std::move(fn));
  }
  route& put(std::string_view pattern, auth_requirement auth, handler fn) {
    return add(verb::put, pattern, auth, std::move(fn));
  }
  route& patch(std::string_view pattern, auth_requirement auth, handler fn) {
    return add(verb::patch, pattern, auth, std::move(fn));
  }
  route& del(std::string_view pattern, auth_requirement auth, handler fn) {
    return add(verb::del, pattern, auth, std::move(fn));
  }

  /// True when (method, pattern) is registered (params compare by position,
  /// not by name).
  bool has(verb method, std::string_view pattern) const;

  /// The shortest timeout a route set for itself, or zero when none did.
  std::chrono::milliseconds shortest_route_timeout() const;

  /// Matches decoded path segments (see parse_target).
  route_match match(verb method, const std::vector<std::string>& segments) const;

  /// Parses `target` (path and optional query) and matches its path; a
  /// malformed target is not_found.
  route_match match(verb method, std::string_view target) const;

  /// Every route, in registration order (route::id is the index).
  const std::vector<std::unique_ptr<route>>& routes() const noexcept { return routes_; }

private:
  struct shape;
  std::vector<std::unique_ptr<shape>> shapes_;
  std::vector<std::unique_ptr<route>> routes_;
};

} // namespace agora::net::http
