// What a request handler sees: the parsed request, the response it builds and
// the responder it replies through. Deliberately light (no Beast, no Asio, no
// CAF): net/api/ handlers include this, the session in server.cpp fills it.
//
//   void get_cart(http::request& req, http::responder res) {
//     auto id = std::string(req.param("cart_id"));
//     ask_cart(id, [res](result<cart_view> r) {        // any thread
//       if (!r) return res.error(r.error());
//       res.json(200, render(*r));
//     });
//   }
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/common/problem.hpp"
#include "net/auth/principal.hpp"

namespace agora::net::http {

// -- vocabulary ---------------------------------------------------------------

/// The HTTP methods Agora routes (HEAD is not routed).
enum class verb : uint8_t {
  get,
  post,
  put,
  patch,
  del,
  head,
  options,
  other,
};

/// `"GET"`, `"POST"`, ... (`"OTHER"` for anything unrouted).
std::string_view to_string(verb v) noexcept;

/// Parses an upper-case method token; verb::other for anything unknown.
verb parse_verb(std::string_view text) noexcept;

/// What a route needs from the caller before its handler runs.
enum class auth_requirement : uint8_t {
  /// The Authorization header is ignored (login, register, health).
  none,
  /// A token is optional, but a token that is sent must be valid (401 if not);
  /// the handler sees `principal` when one was sent.
  optional,
  /// Any valid token (401 without one).
  customer,
  /// A valid token with the admin role (401 without one, 403 for a customer).
  admin,
};

/// Name/value pairs in arrival order.
using field_list = std::vector<std::pair<std::string, std::string>>;

// -- request ------------------------------------------------------------------

/// One HTTP request as the router hands it to a handler. The handler may move
/// out of it; the server keeps what it needs for logging and metrics itself.
struct request {
  verb method = verb::other;
  /// The raw request target (`/api/v1/products?q=phone`).
  std::string target;
  /// The path part of the target, still percent-encoded, trailing slash
  /// removed (except for `/`).
  std::string path;
  /// The matched route's pattern (`/api/v1/carts/{cart_id}`).
  std::string route;
  /// Decoded `{name}` segments of the matched pattern.
  field_list path_params;
  /// Decoded query parameters in order (`+` is a space).
  field_list query;
  /// Header fields as received (names in the client's spelling).
  field_list headers;
  std::string body;
  /// X-Request-Id: the client's (when sane) or a generated UUID.
  std::string request_id;
  /// Set by the authentication step when a valid bearer token was sent.
  std::optional<auth::principal> caller;
  /// The raw bearer token (empty without one); logout revokes it.
  std::string bearer_token;
  /// Peer address `ip:port`.
  std::string remote_address;

  /// The decoded value of `{name}`; empty when the pattern has no such param.
  std::string_view param(std::string_view name) const noexcept;

  /// The first value of query parameter `name` (repeated keys: first wins).
  std::optional<std::string_view> query_param(std::string_view name) const noexcept;

  /// The first header named `name`, compared case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
};

// -- response -----------------------------------------------------------------

/// What a handler answers. Built with the factory functions below.
struct response {
  unsigned status = 200;
  std::string body;
  /// Empty: no Content-Type (and normally no body).
  std::string content_type;
  /// Extra headers (Location, Retry-After, ...). The server adds Server,
  /// X-Request-Id, Content-Length and Connection itself.
  field_list headers;

  /// `status` with a JSON body (Content-Type: application/json).
  static response json(unsigned status, std::string body);
  /// 204 without a body.
  static response no_content();
  /// The contract's error body `{"error":{"code","message","details"}}` with
  /// the status of the one mapping table (net/http/errors.hpp); adds
  /// Retry-After for 429 and 503.
  static response error(const problem& p);
  /// Plain text (metrics, diagnostics).
  static response text(unsigned status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");

  /// Adds a header and returns *this (chainable).
  response& with_header(std::string name, std::string value) &;
  response&& with_header(std::string name, std::string value) &&;
};

// -- responder ----------------------------------------------------------------

namespace detail {

/// Shared between a session and the responders of one request: whoever
/// claims first (the handler's reply or the request timeout) answers.
struct reply_claim {
  std::atomic<bool> claimed{false};
  /// True for exactly one caller.
  bool try_claim() noexcept { return !claimed.exchange(true, std::memory_order_acq_rel); }
};

/// Owned by the responder copies of one request. When the last copy dies
/// without a reply (a handler bug), it answers 500 `internal` so the client
/// never waits for the timeout.
class reply_slot {
public:
  using sink = std::function<void(response&&)>;
  reply_slot(std::shared_ptr<reply_claim> claim, sink deliver);
  ~reply_slot();
  reply_slot(const reply_slot&) = delete;
  reply_slot& operator=(const reply_slot&) = delete;

  void send(response&& r);

private:
  std::shared_ptr<reply_claim> claim_;
  sink deliver_;
};

} // namespace detail

/// Replies to one request. Cheap to copy, safe to call from any thread (CAF
/// worker threads call it); the response is posted to the connection's own
/// executor. Only the first reply counts: later ones, and a reply that comes
/// after the request timeout already answered 503, are dropped.
class responder {
public:
  responder() = default;
  explicit responder(std::shared_ptr<detail::reply_slot> slot) : slot_(std::move(slot)) {}

  void send(response r) const;
  void json(unsigned status, std::string body) const {
    send(response::json(status, std::move(body)));
  }
  void no_content() const { send(response::no_content()); }
  void error(const problem& p) const { send(response::error(p)); }
  void error(errc code, std::string message, std::string details = "{}") const {
    send(response::error(make_problem(code, std::move(message), std::move(details))));
  }

  /// False for a default-constructed responder.
  explicit operator bool() const noexcept { return slot_ != nullptr; }

private:
  std::shared_ptr<detail::reply_slot> slot_;
};

/// A route's handler. Runs on an I/O thread: it must not block. It replies
/// through `res`, now or later, from any thread. An exception escaping it is
/// logged and answered with 500 `internal` (a bug, never client input).
using handler = std::function<void(request& req, responder res)>;

} // namespace agora::net::http
