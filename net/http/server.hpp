// The HTTP server: a Beast listener and one session per connection on the
// server's own io_context and I/O threads (never CAF's). It reads a request,
// runs the pipeline (route → authenticate → authorize → body checks), calls
// the route's handler and writes whatever the handler's responder sends,
// then reads the next request on the same connection (keep-alive, exactly
// one request in flight per connection). See net/README.md for the threading
// model and the error and limit behaviour.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "net/auth/principal.hpp"
#include "net/http/router.hpp"

namespace agora::net::auth {
class token_service;
} // namespace agora::net::auth

namespace agora::net::http {

namespace detail {

/// Appends to `out` the bytes of `r` as Beast's serializer writes the same
/// message after prepare_payload(): the status line (HTTP/1.`minor`), Server,
/// X-Request-Id, Content-Type when set, the extra headers in order,
/// Connection when `keep_alive` is not the version's default,
/// Content-Length, then the body (left out with `with_body` false, for
/// HEAD). One buffer, so a response leaves in one write.
void serialize_response(std::string& out, const response& r, std::string_view request_id,
                        unsigned minor, bool keep_alive, bool with_body);

} // namespace detail

/// The Beast HTTP/1.1 server. One start() and one stop() per instance.
class http_server {
public:
  /// `tokens` verifies bearer tokens; with nullptr every sent token is
  /// refused and routes that need one answer 401.
  http_server(router routes, std::shared_ptr<const auth::token_service> tokens);
  /// Stops (without grace) if still running.
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// A check run for every verified token before the handler (revocation on
  /// logout). It runs on an I/O thread and must not block. Set before start().
  void set_revocation_check(std::function<bool(const auth::principal&)> is_revoked);

  /// Adds GET /healthz and GET /metrics unless the router has them, binds
  /// `cfg.host:cfg.port` (port 0 picks a free one) and starts `cfg.threads`
  /// I/O threads. Returns the bound port. Throws std::runtime_error when it
  /// cannot bind, std::logic_error when called twice.
  uint16_t start(const config::http_section& cfg);

  /// Graceful stop: stops accepting, closes idle keep-alive connections, lets
  /// requests in flight finish (and closes their connections after the
  /// response) for up to `grace`, then closes whatever is left, joins the I/O
  /// threads and returns. Replies that arrive afterwards are dropped. The
  /// caller then flushes the journal and stops CAF. Idempotent. Blocks: call
  /// it from the main or a signal-handling thread, never from an I/O thread
  /// (a handler) or a CAF worker.
  void stop(std::chrono::milliseconds grace);

  /// The bound port (0 before start()).
  uint16_t port() const noexcept;

  /// Connections currently open.
  size_t open_connections() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace agora::net::http
