// One keep-alive HTTP/1.1 connection to the node, driven by C++20 coroutines
// on an Asio executor. Beast lives in client.cpp only (pimpl); this header
// needs Asio's awaitable and endpoint types.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace agora::load {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

/// The answer to one request, or why there was none.
struct http_result {
  /// HTTP status; 0 when no answer arrived.
  int status = 0;
  std::string body;
  /// Why there was no answer: "timeout", "connect", "closed", "io", "aborted".
  std::string failure;
  clock::time_point sent;
  clock::time_point done;

  int64_t latency_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(done - sent).count();
  }
};

struct request_spec {
  const char* method = "GET"; // GET POST PUT PATCH DELETE
  std::string target;          // path and query, without the URL prefix
  const std::string* body = nullptr;
  const std::string* token = nullptr;
  const std::string* idempotency_key = nullptr;
};

class connection {
public:
  connection(asio::any_io_executor ex, std::vector<asio::ip::tcp::endpoint> endpoints,
             std::string host_header, std::string prefix, std::chrono::milliseconds timeout);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Connects unless connected; false (and `failure` set) when it cannot.
  asio::awaitable<bool> ensure_connected(std::string& failure);
  /// Sends one request (connecting first if needed) and reads the answer.
  /// After a failure the connection is closed; the next call reconnects.
  asio::awaitable<http_result> send(const request_spec& req);
  /// Closes the socket: a pending send ends with failure "aborted".
  void close();
  bool is_open() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace agora::load
