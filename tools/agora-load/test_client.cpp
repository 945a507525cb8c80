// agora-load's HTTP connection against small servers in the same process:
// answers, the deadline of an exchange and of a connect, a keep-alive
// connection the server closed, no listener, and a close by the load
// generator itself.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "tools/agora-load/client.hpp"

using namespace agora::load;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// What the test server does with each accepted connection.
enum class behaviour {
  /// Answers every request with 200 and its count on this connection.
  answer,
  /// Answers the first request, then closes the connection.
  answer_once_then_close,
  /// Reads the request and never answers.
  silent,
};

asio::awaitable<void> serve(tcp::socket socket, behaviour how) {
  asio::streambuf in;
  for (int n = 1;; ++n) {
    auto [ec, got] = co_await asio::async_read_until(socket, in, "\r\n\r\n", use_tuple);
    if (ec)
      co_return;
    in.consume(got);
    if (how == behaviour::silent) {
      asio::steady_timer wait(socket.get_executor(), 10s);
      co_await wait.async_wait(use_tuple);
      co_return;
    }
    std::string body = "{\"n\":" + std::to_string(n) + "}";
    std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body;
    auto [wec, sent] = co_await asio::async_write(socket, asio::buffer(answer), use_tuple);
    (void)sent;
    if (wec || how == behaviour::answer_once_then_close)
      co_return;
  }
}

asio::awaitable<void> accept_all(tcp::acceptor& acceptor, behaviour how) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec)
      co_return;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), how), asio::detached);
  }
}

/// A server on a free loopback port and a client connection to it, on one
/// io_context; run() drives `client` to its end and stops the server.
struct fixture {
  explicit fixture(behaviour how, std::chrono::milliseconds timeout = 5s)
      : acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        conn(ioc.get_executor(), {acceptor.local_endpoint()}, "127.0.0.1", "", timeout) {
    asio::co_spawn(ioc, accept_all(acceptor, how), asio::detached);
  }

  void run(std::function<asio::awaitable<void>()> client) {
    asio::co_spawn(ioc, client(), [this](std::exception_ptr e) {
      acceptor.close();
      conn.close();
      ioc.stop();
      if (e)
        std::rethrow_exception(e);
    });
    ioc.run();
  }

  asio::io_context ioc;
  tcp::acceptor acceptor;
  connection conn;
};

const request_spec get_spec{"GET", "/healthz"};

/// One request to `to` on a connection of its own, run to its end.
http_result send_once(asio::io_context& ioc, tcp::endpoint to,
                      std::chrono::milliseconds timeout) {
  connection conn(ioc.get_executor(), {to}, "127.0.0.1", "", timeout);
  std::optional<http_result> r;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> { r = co_await conn.send(get_spec); },
                 asio::detached);
  ioc.run();
  REQUIRE(r);
  CHECK_FALSE(conn.is_open());
  return *r;
}

} // namespace

TEST_CASE("client: answers come back over one keep-alive connection") {
  fixture f{behaviour::answer};
  std::optional<http_result> first, second;
  f.run([&]() -> asio::awaitable<void> {
    first = co_await f.conn.send(get_spec);
    second = co_await f.conn.send(get_spec);
  });
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(first->failure.empty());
  CHECK(first->body == R"({"n":1})");
  CHECK(first->latency_us() >= 0);
  REQUIRE(second);
  // The second request went over the same connection: the server counted it.
  CHECK(second->body == R"({"n":2})");
}

TEST_CASE("client: an exchange that outlasts the timeout fails with timeout") {
  fixture f{behaviour::silent, 200ms};
  std::optional<http_result> r;
  f.run([&]() -> asio::awaitable<void> { r = co_await f.conn.send(get_spec); });
  REQUIRE(r);
  CHECK(r->status == 0);
  CHECK(r->failure == "timeout");
  CHECK(r->done - r->sent >= 200ms);
  CHECK(r->done - r->sent < 5s);
}

TEST_CASE("client: a deadline armed before a quick answer does not cut the next exchange") {
  fixture f{behaviour::answer, 300ms};
  int ok = 0;
  bool open = false;
  f.run([&]() -> asio::awaitable<void> {
    // Exchanges for longer than one timeout: each has its own deadline.
    auto until = std::chrono::steady_clock::now() + 700ms;
    while (std::chrono::steady_clock::now() < until) {
      auto r = co_await f.conn.send(get_spec);
      if (r.status != 200)
        co_return;
      ++ok;
      asio::steady_timer pause(co_await asio::this_coro::executor, 20ms);
      co_await pause.async_wait(use_tuple);
    }
    open = f.conn.is_open();
  });
  CHECK(ok >= 10);
  CHECK(open);
}

TEST_CASE("client: a request on a connection the server closed is sent again on a new one") {
  fixture f{behaviour::answer_once_then_close};
  std::optional<http_result> first, second;
  f.run([&]() -> asio::awaitable<void> {
    first = co_await f.conn.send(get_spec);
    // Let the server's close arrive before the next request.
    asio::steady_timer pause(co_await asio::this_coro::executor, 50ms);
    co_await pause.async_wait(use_tuple);
    second = co_await f.conn.send(get_spec);
  });
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->status == 200);
  CHECK(second->status == 200);
  // A new connection: the server's count starts again.
  CHECK(second->body == R"({"n":1})");
}

TEST_CASE("client: no listener fails with connect") {
  asio::io_context ioc;
  tcp::endpoint nowhere;
  {
    // A port that was free a moment ago and has no listener now.
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    nowhere = probe.local_endpoint();
  }
  auto r = send_once(ioc, nowhere, 2s);
  CHECK(r.status == 0);
  CHECK(r.failure == "connect");
}

TEST_CASE("client: a connect that outlasts the timeout fails with timeout") {
  asio::io_context ioc;
  // A listener that never accepts, with a backlog of 0: Linux queues one
  // connection, and drops the SYNs of the next ones while that one waits, so
  // their connect neither succeeds nor fails.
  tcp::acceptor full(ioc);
  full.open(tcp::v4());
  full.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  full.listen(0);
  tcp::socket queued(ioc);
  queued.connect(full.local_endpoint());
  auto r = send_once(ioc, full.local_endpoint(), 200ms);
  CHECK(r.status == 0);
  CHECK(r.failure == "timeout");
  CHECK(r.done - r.sent >= 200ms);
  CHECK(r.done - r.sent < 5s);
}

TEST_CASE("client: closing the connection ends a pending exchange as aborted") {
  fixture f{behaviour::silent};
  std::optional<http_result> r;
  asio::steady_timer closer(f.ioc, 100ms);
  closer.async_wait([&](const boost::system::error_code&) { f.conn.close(); });
  f.run([&]() -> asio::awaitable<void> { r = co_await f.conn.send(get_spec); });
  REQUIRE(r);
  CHECK(r->status == 0);
  CHECK(r->failure == "aborted");
  CHECK(r->done - r->sent < 5s);
}
