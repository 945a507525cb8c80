#include "tools/agora-load/client.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/asio/write.hpp>

namespace agora::load {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// The request as it goes on the wire, written by hand into one buffer:
/// Beast's request (a node per header field) and its serializer cost the
/// load generator more than the exchange itself, on the machine it shares
/// with the node it measures.
std::string format_request(const request_spec& spec, const std::string& prefix,
                           const std::string& host) {
  std::string out;
  out.reserve(160 + prefix.size() + spec.target.size() + (spec.body ? spec.body->size() : 0));
  out.append(spec.method).append(" ").append(prefix).append(spec.target);
  out.append(" HTTP/1.1\r\nHost: ").append(host);
  out.append("\r\nUser-Agent: agora-load");
  if (spec.token)
    out.append("\r\nAuthorization: Bearer ").append(*spec.token);
  if (spec.idempotency_key)
    out.append("\r\nIdempotency-Key: ").append(*spec.idempotency_key);
  if (spec.body)
    out.append("\r\nContent-Type: application/json");
  std::string_view method{spec.method};
  if (spec.body || method == "POST" || method == "PUT" || method == "PATCH")
    out.append("\r\nContent-Length: ").append(std::to_string(spec.body ? spec.body->size() : 0));
  out.append("\r\n\r\n");
  if (spec.body)
    out.append(*spec.body);
  return out;
}

} // namespace

struct connection::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, std::vector<tcp::endpoint> eps, std::string host,
       std::string pre, std::chrono::milliseconds t)
      : socket(ex), timer(ex), endpoints(std::move(eps)), host_header(std::move(host)),
        prefix(std::move(pre)), timeout(t) {}

  tcp::socket socket;
  /// The deadline of the exchange in flight (a connect, or a request and its
  /// answer): one timer wait per exchange, not one per socket operation as
  /// Beast's tcp_stream arms (each an insertion into and a removal from a
  /// timer heap as large as the connections a flash sale holds open).
  asio::steady_timer timer;
  beast::flat_buffer buffer;
  std::vector<tcp::endpoint> endpoints;
  std::string host_header;
  std::string prefix;
  std::chrono::milliseconds timeout;
  bool connected = false;
  bool closed_by_us = false;
  bool timed_out = false;
  /// Counts exchanges, so that a deadline that fired as its exchange ended
  /// does not close the connection under the next one.
  uint64_t exchange = 0;

  /// Closes the socket if the exchange is not over by the deadline: its
  /// pending operation then fails and failure_of says "timeout".
  void arm() {
    timed_out = false;
    timer.expires_after(timeout);
    timer.async_wait([weak = weak_from_this(), id = ++exchange](const beast::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->exchange != id)
        return;
      self->timed_out = true;
      beast::error_code ignored;
      self->socket.close(ignored);
    });
  }

  void disarm() {
    ++exchange;
    timer.cancel();
  }

  void drop() {
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    buffer.clear();
    connected = false;
  }

  std::string failure_of(const beast::error_code& ec, const char* stage) const {
    if (timed_out)
      return "timeout";
    if (closed_by_us || ec == asio::error::operation_aborted)
      return "aborted";
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
      return "closed";
    return std::string(stage);
  }
};

connection::connection(asio::any_io_executor ex, std::vector<tcp::endpoint> endpoints,
                       std::string host_header, std::string prefix,
                       std::chrono::milliseconds timeout)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(endpoints), std::move(host_header),
                                   std::move(prefix), timeout)) {}

connection::~connection() = default;

bool connection::is_open() const {
  return impl_->connected;
}

void connection::close() {
  impl_->closed_by_us = true;
  impl_->disarm();
  impl_->drop();
}

asio::awaitable<bool> connection::ensure_connected(std::string& failure) {
  auto& d = *impl_;
  if (d.connected)
    co_return true;
  if (d.closed_by_us) {
    failure = "aborted";
    co_return false;
  }
  d.arm();
  auto [ec, ep] = co_await asio::async_connect(d.socket, d.endpoints, use_tuple);
  d.disarm();
  if (ec) {
    failure = d.timed_out ? "timeout" : d.closed_by_us ? "aborted" : "connect";
    d.drop();
    co_return false;
  }
  beast::error_code ignored;
  d.socket.set_option(tcp::no_delay(true), ignored);
  d.connected = true;
  co_return true;
}

asio::awaitable<http_result> connection::send(const request_spec& spec) {
  auto& d = *impl_;
  auto req = format_request(spec, d.prefix, d.host_header);

  http_result out;
  out.sent = clock::now();
  // A server may close a keep-alive connection between two requests (its
  // idle timeout, or to make room at its connection limit). A request that
  // finds it closed, with no byte of an answer, was not handled: like a
  // browser, send it once more on a new connection.
  for (int attempt = 0;; ++attempt) {
    bool reused = d.connected;
    if (!co_await ensure_connected(out.failure)) {
      out.done = clock::now();
      co_return out;
    }
    auto retry = [&](const std::string& failure, bool answered) {
      return reused && attempt == 0 && !answered && failure == "closed";
    };
    // One deadline for the write and the read of the answer.
    d.arm();
    auto [wec, written] = co_await asio::async_write(d.socket, asio::buffer(req), use_tuple);
    (void)written;
    if (wec) {
      d.disarm();
      out.failure = d.failure_of(wec, "io");
      d.drop();
      if (retry(out.failure, false))
        continue;
      out.done = clock::now();
      co_return out;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [rec, read] = co_await bhttp::async_read(d.socket, d.buffer, parser, use_tuple);
    (void)read;
    d.disarm();
    if (rec) {
      out.failure = d.failure_of(rec, "io");
      d.drop();
      if (retry(out.failure, parser.got_some()))
        continue;
      out.done = clock::now();
      co_return out;
    }
    out.failure.clear();
    out.done = clock::now();
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    if (!res.keep_alive())
      d.drop();
    co_return out;
  }
}

} // namespace agora::load
