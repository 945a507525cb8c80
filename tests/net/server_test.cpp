// The HTTP server over real sockets on 127.0.0.1: keep-alive, the contract's
// error bodies, limits, auth, request ids, the timeouts (handler, slow
// request, idle keep-alive, a response the client does not read), malformed
// input and graceful stop.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "actors/common/ids.hpp"
#include "actors/common/json.hpp"
#include "actors/common/metrics.hpp"
#include "net/asio.hpp"
#include "net/auth/jwt.hpp"
#include "net/http/body.hpp"
#include "net/http/server.hpp"

using namespace agora;
using namespace agora::net;
using namespace std::chrono_literals;
namespace h = agora::net::http;

namespace {

using wire_response = bhttp::response<bhttp::string_body>;

// -- a small blocking client with deadlines ----------------------------------

class client {
public:
  explicit client(uint16_t port) {
    sock_.connect({asio::ip::make_address("127.0.0.1"), port});
  }

  void write_raw(std::string_view bytes) {
    asio::write(sock_, asio::buffer(bytes.data(), bytes.size()));
  }

  void write(bhttp::request<bhttp::string_body> req) {
    req.prepare_payload();
    bhttp::write(sock_, req);
  }

  /// Reads one response; nullopt on EOF, error or timeout.
  std::optional<wire_response> read(std::chrono::milliseconds timeout = 5s) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    std::optional<beast::error_code> result;
    bhttp::async_read(sock_, buf_, parser,
                      [&](beast::error_code ec, size_t) { result = ec; });
    run(timeout);
    if (!result || *result)
      return std::nullopt;
    return parser.release();
  }

  /// True when the server closed the connection within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = 5s) {
    char byte;
    std::optional<beast::error_code> result;
    sock_.async_read_some(asio::buffer(&byte, 1),
                          [&](beast::error_code ec, size_t) { result = ec; });
    run(timeout);
    return result && (*result == asio::error::eof || *result == asio::error::connection_reset);
  }

  wire_response request(bhttp::request<bhttp::string_body> req) {
    write(std::move(req));
    auto res = read();
    REQUIRE(res);
    return std::move(*res);
  }

private:
  void run(std::chrono::milliseconds timeout) {
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!ioc_.stopped()) {
      beast::error_code ec;
      sock_.cancel(ec);
      ioc_.restart();
      ioc_.run();
    }
  }

  asio::io_context ioc_;
  tcp::socket sock_{ioc_};
  beast::flat_buffer buf_;
};

bhttp::request<bhttp::string_body> make(bhttp::verb v, std::string target,
                                        std::string body = {},
                                        std::string content_type = "application/json") {
  bhttp::request<bhttp::string_body> req{v, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!body.empty()) {
    req.body() = std::move(body);
    req.set(bhttp::field::content_type, content_type);
  }
  return req;
}

json::value body_of(const wire_response& res) {
  auto v = parse_json(res.body());
  REQUIRE(v);
  return *v;
}

std::string error_code_of(const wire_response& res) {
  return std::string(body_of(res).at("error").at("code").as_string());
}

// -- the server under test ---------------------------------------------------

const std::string test_secret = "server-test-secret";

struct fixture {
  std::shared_ptr<auth::token_service> tokens =
    std::make_shared<auth::token_service>(test_secret, "agora");
  std::unique_ptr<h::http_server> server;
  uint16_t port = 0;
  std::mutex parked_mtx;
  std::vector<h::responder> parked; // replies that never come
  std::vector<std::thread> repliers;
  std::atomic<int> slow_started{0};

  explicit fixture(std::function<void(config::http_section&)> tweak = {}) {
    h::router r;
    r.get("/api/v1/echo/{id}", h::auth_requirement::none, [](h::request& req, h::responder res) {
      json::object o;
      o["id"] = req.param("id");
      o["x"] = req.query_param("x").value_or("");
      o["request_id"] = req.request_id;
      o["route"] = req.route;
      res.json(200, json::serialize(o));
    });
    r.post("/api/v1/items", h::auth_requirement::none, [](h::request& req, h::responder res) {
      auto body = h::parse_json_object(req.body);
      if (!body)
        return res.error(body.error());
      auto qty = h::object_fields{*body}.required_int("quantity", 1, 10000);
      if (!qty)
        return res.error(qty.error());
      res.send(h::response::json(201, R"({"quantity":)" + std::to_string(*qty) + "}")
                 .with_header("Location", "/api/v1/items/1"));
    });
    r.post("/api/v1/empty", h::auth_requirement::none,
           [](h::request&, h::responder res) { res.no_content(); });
    r.get("/api/v1/slow", h::auth_requirement::none, [this](h::request&, h::responder res) {
      ++slow_started;
      std::lock_guard guard{parked_mtx};
      repliers.emplace_back([res] {
        std::this_thread::sleep_for(300ms);
        res.json(200, R"({"slow":true})");
      });
    });
    r.get("/api/v1/never", h::auth_requirement::none, [this](h::request&, h::responder res) {
      std::lock_guard guard{parked_mtx};
      parked.push_back(res);
    });
    r.get("/api/v1/never-fast", h::auth_requirement::none,
          [this](h::request&, h::responder res) {
            std::lock_guard guard{parked_mtx};
            parked.push_back(res);
          })
      .timeout = 150ms;
    r.get("/api/v1/throws", h::auth_requirement::none,
          [](h::request&, h::responder) { throw std::runtime_error("boom"); });
    r.get("/api/v1/drops", h::auth_requirement::none, [](h::request&, h::responder) {});
    r.get("/api/v1/big", h::auth_requirement::none, [](h::request&, h::responder res) {
      res.json(200, '"' + std::string(32 << 20, 'x') + '"');
    });
    r.get("/api/v1/me", h::auth_requirement::customer, [](h::request& req, h::responder res) {
      json::object o;
      o["customer_id"] = req.caller->customer_id;
      o["role"] = auth::to_string(req.caller->role);
      res.json(200, json::serialize(o));
    });
    r.get("/api/v1/maybe", h::auth_requirement::optional, [](h::request& req, h::responder res) {
      res.json(200, req.caller ? R"({"who":")" + req.caller->customer_id + "\"}"
                               : R"({"who":null})");
    });
    r.post("/api/v1/admin-only", h::auth_requirement::admin,
           [](h::request&, h::responder res) { res.json(200, R"({"ok":true})"); });
    r.post("/api/v1/auth/login", h::auth_requirement::none,
           [](h::request&, h::responder res) { res.json(200, R"({"login":true})"); });
    config::http_section cfg;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 2;
    cfg.request_timeout_ms = 1000;
    cfg.max_body_bytes = 1 << 20;
    cfg.max_header_bytes = 8 * 1024;
    if (tweak)
      tweak(cfg);
    server = std::make_unique<h::http_server>(std::move(r), tokens);
    server->set_revocation_check(
      [](const auth::principal& p) { return p.customer_id == "revoked-customer"; });
    port = server->start(cfg);
  }

  ~fixture() {
    server->stop(2s);
    std::lock_guard guard{parked_mtx};
    for (auto& t : repliers)
      t.join();
  }

  std::string token(const std::string& who, auth::role r, std::chrono::seconds ttl = 60s) {
    return tokens->issue(who, who + "@example.com", r, ttl).token;
  }
};

} // namespace

TEST_CASE("keep-alive serves several requests on one connection", "[net][server]") {
  fixture f;
  client c{f.port};
  auto a = c.request(make(bhttp::verb::get, "/api/v1/echo/one?x=%C3%A9t%C3%A9"));
  CHECK(a.result_int() == 200);
  CHECK(a.keep_alive());
  CHECK(a[bhttp::field::content_type] == "application/json");
  CHECK(a[bhttp::field::server] == "agora");
  auto ab = body_of(a);
  CHECK(ab.at("id").as_string() == "one");
  CHECK(ab.at("x").as_string() == "été");
  CHECK(ab.at("route").as_string() == "/api/v1/echo/{id}");
  auto b = c.request(make(bhttp::verb::post, "/api/v1/items", R"({"quantity":3})"));
  CHECK(b.result_int() == 201);
  CHECK(b[bhttp::field::location] == "/api/v1/items/1");
  CHECK(body_of(b).at("quantity").as_int64() == 3);
  auto d = c.request(make(bhttp::verb::get, "/api/v1/echo/two/"));
  CHECK(d.result_int() == 200);
  CHECK(body_of(d).at("id").as_string() == "two");
  CHECK(f.server->open_connections() == 1);
}

TEST_CASE("unknown routes and wrong methods answer the contract's bodies", "[net][server]") {
  fixture f;
  client c{f.port};
  auto nf = c.request(make(bhttp::verb::get, "/api/v1/nope"));
  CHECK(nf.result_int() == 404);
  CHECK(nf[bhttp::field::content_type] == "application/json");
  CHECK(nf.body() == R"({"error":{"code":"not_found","message":"no route for /api/v1/nope",)"
                     R"("details":{}}})");
  auto na = c.request(make(bhttp::verb::delete_, "/api/v1/echo/1"));
  CHECK(na.result_int() == 405);
  CHECK(na[bhttp::field::allow] == "GET");
  CHECK(na.body() == R"({"error":{"code":"method_not_allowed",)"
                     R"("message":"DELETE is not allowed on /api/v1/echo/1","details":{}}})");
  // The connection survives both.
  CHECK(c.request(make(bhttp::verb::get, "/healthz")).result_int() == 200);
}

TEST_CASE("body problems: 413, 415, 400 with the field", "[net][server]") {
  fixture f;
  SECTION("a 2 MiB body is 413 and the connection closes") {
    client c{f.port};
    auto req = make(bhttp::verb::post, "/api/v1/items", std::string(2 << 20, 'x'));
    c.write(std::move(req));
    auto res = c.read();
    REQUIRE(res);
    CHECK(res->result_int() == 413);
    CHECK(error_code_of(*res) == "payload_too_large");
    CHECK_FALSE(res->keep_alive());
    CHECK(c.closed_by_peer());
  }
  SECTION("a chunked body over the limit is 413 too") {
    client c{f.port};
    std::string head = "POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                       "\r\nTransfer-Encoding: chunked\r\n\r\n";
    c.write_raw(head);
    std::string chunk(256 * 1024, 'a');
    std::string framed = "40000\r\n" + chunk + "\r\n";
    for (int i = 0; i < 5; ++i)
      c.write_raw(framed);
    auto res = c.read();
    REQUIRE(res);
    CHECK(res->result_int() == 413);
  }
  SECTION("a non-JSON body is 415; a body-less POST needs no Content-Type") {
    client c{f.port};
    auto res = c.request(make(bhttp::verb::post, "/api/v1/items", "quantity=1", "text/plain"));
    CHECK(res.result_int() == 415);
    CHECK(error_code_of(res) == "unsupported_media_type");
    auto no_ct = make(bhttp::verb::post, "/api/v1/items", R"({"quantity":1})");
    no_ct.erase(bhttp::field::content_type);
    CHECK(c.request(std::move(no_ct)).result_int() == 415);
    auto charset = make(bhttp::verb::post, "/api/v1/items", R"({"quantity":2})",
                        "Application/JSON; charset=utf-8");
    CHECK(c.request(std::move(charset)).result_int() == 201);
    CHECK(c.request(make(bhttp::verb::post, "/api/v1/empty")).result_int() == 204);
  }
  SECTION("malformed JSON and bad fields are 400") {
    client c{f.port};
    auto bad = c.request(make(bhttp::verb::post, "/api/v1/items", "{\"quantity\":"));
    CHECK(bad.result_int() == 400);
    CHECK(body_of(bad).at("error").at("message").as_string() == "malformed JSON");
    auto frac = c.request(make(bhttp::verb::post, "/api/v1/items", R"({"quantity":1.5})"));
    CHECK(frac.result_int() == 400);
    CHECK(body_of(frac).at("error").at("details").at("field").as_string() == "quantity");
  }
}

TEST_CASE("authentication is 401 and authorization 403", "[net][server]") {
  fixture f;
  client c{f.port};
  auto with_token = [](bhttp::request<bhttp::string_body> req, const std::string& auth) {
    req.set(bhttp::field::authorization, auth);
    return req;
  };
  auto missing = c.request(make(bhttp::verb::get, "/api/v1/me"));
  CHECK(missing.result_int() == 401);
  CHECK(error_code_of(missing) == "unauthenticated");
  CHECK(missing[bhttp::field::www_authenticate] == "Bearer");
  auto bad = c.request(with_token(make(bhttp::verb::get, "/api/v1/me"), "Bearer not.a.token"));
  CHECK(bad.result_int() == 401);
  auto basic = c.request(with_token(make(bhttp::verb::get, "/api/v1/me"), "Basic dTpw"));
  CHECK(basic.result_int() == 401);
  auto expired = c.request(with_token(make(bhttp::verb::get, "/api/v1/me"),
                                      "Bearer " + f.token("c-1", auth::role::customer, -10s)));
  CHECK(expired.result_int() == 401);
  CHECK(body_of(expired).at("error").at("details").at("reason").as_string() == "expired");
  auto revoked = c.request(with_token(make(bhttp::verb::get, "/api/v1/me"),
                                      "Bearer " + f.token("revoked-customer",
                                                          auth::role::customer)));
  CHECK(revoked.result_int() == 401);
  auto ok = c.request(with_token(make(bhttp::verb::get, "/api/v1/me"),
                                 "Bearer " + f.token("c-1", auth::role::customer)));
  CHECK(ok.result_int() == 200);
  CHECK(body_of(ok).at("customer_id").as_string() == "c-1");

  // Optional routes: no token is fine, a bad token is still 401.
  CHECK(body_of(c.request(make(bhttp::verb::get, "/api/v1/maybe"))).at("who").is_null());
  CHECK(c.request(with_token(make(bhttp::verb::get, "/api/v1/maybe"), "Bearer x.y.z"))
          .result_int()
        == 401);
  auto known = c.request(with_token(make(bhttp::verb::get, "/api/v1/maybe"),
                                    "Bearer " + f.token("c-2", auth::role::customer)));
  CHECK(body_of(known).at("who").as_string() == "c-2");
  // Routes without auth ignore the header (a stale token does not block login).
  CHECK(c.request(with_token(make(bhttp::verb::post, "/api/v1/auth/login"), "Bearer stale"))
          .result_int()
        == 200);

  // Admin routes: 401 without a token, 403 for a customer, and both come
  // before the body check (a bad body from a customer is still 403).
  CHECK(c.request(make(bhttp::verb::post, "/api/v1/admin-only", "oops", "text/plain"))
          .result_int()
        == 401);
  auto customer = c.request(with_token(make(bhttp::verb::post, "/api/v1/admin-only", "oops",
                                            "text/plain"),
                                       "Bearer " + f.token("c-1", auth::role::customer)));
  CHECK(customer.result_int() == 403);
  CHECK(error_code_of(customer) == "forbidden");
  auto admin = c.request(with_token(make(bhttp::verb::post, "/api/v1/admin-only", "{}"),
                                    "Bearer " + f.token("a-1", auth::role::admin)));
  CHECK(admin.result_int() == 200);
}

TEST_CASE("X-Request-Id is echoed when sane and generated otherwise", "[net][server]") {
  fixture f;
  client c{f.port};
  auto req = make(bhttp::verb::get, "/api/v1/echo/1");
  req.set("X-Request-Id", "client-id-123");
  auto echoed = c.request(std::move(req));
  CHECK(echoed["X-Request-Id"] == "client-id-123");
  CHECK(body_of(echoed).at("request_id").as_string() == "client-id-123");
  auto generated = c.request(make(bhttp::verb::get, "/api/v1/echo/1"));
  CHECK(is_uuid(generated["X-Request-Id"]));
  auto weird = make(bhttp::verb::get, "/api/v1/nope");
  weird.set("X-Request-Id", std::string(200, 'a'));
  auto replaced = c.request(std::move(weird));
  CHECK(replaced.result_int() == 404);
  CHECK(is_uuid(replaced["X-Request-Id"]));
  auto spaced = make(bhttp::verb::get, "/api/v1/echo/1");
  spaced.set("X-Request-Id", "a b");
  CHECK(is_uuid(c.request(std::move(spaced))["X-Request-Id"]));
}

TEST_CASE("replies from other threads, timeouts and handler bugs", "[net][server]") {
  fixture f;
  client c{f.port};
  auto slow = c.request(make(bhttp::verb::get, "/api/v1/slow"));
  CHECK(slow.result_int() == 200);
  CHECK(body_of(slow).at("slow").as_bool());

  auto start = std::chrono::steady_clock::now();
  auto late = c.request(make(bhttp::verb::get, "/api/v1/never"));
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(late.result_int() == 503);
  CHECK(error_code_of(late) == "unavailable");
  CHECK(late[bhttp::field::retry_after] == "1");
  CHECK(waited >= 900ms);
  // The late reply goes nowhere, and the connection carries on.
  {
    std::lock_guard guard{f.parked_mtx};
    REQUIRE(f.parked.size() == 1);
    f.parked[0].json(200, "{}");
  }
  CHECK(c.request(make(bhttp::verb::get, "/api/v1/echo/after")).result_int() == 200);
  // A route may have its own, here shorter, timeout.
  start = std::chrono::steady_clock::now();
  CHECK(c.request(make(bhttp::verb::get, "/api/v1/never-fast")).result_int() == 503);
  waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 140ms);
  CHECK(waited < 900ms);

  auto threw = c.request(make(bhttp::verb::get, "/api/v1/throws"));
  CHECK(threw.result_int() == 500);
  CHECK(error_code_of(threw) == "internal");
  auto dropped = c.request(make(bhttp::verb::get, "/api/v1/drops"));
  CHECK(dropped.result_int() == 500);
  CHECK(c.request(make(bhttp::verb::get, "/healthz")).result_int() == 200);
}

TEST_CASE("malformed requests close the connection without harm", "[net][server]") {
  fixture f;
  SECTION("garbage request line") {
    client c{f.port};
    c.write_raw("THIS IS NOT HTTP\r\n\r\n");
    auto res = c.read();
    REQUIRE(res);
    CHECK(res->result_int() == 400);
    CHECK(error_code_of(*res) == "invalid_request");
    CHECK_FALSE(res->keep_alive());
    CHECK(c.closed_by_peer());
  }
  SECTION("binary noise") {
    client c{f.port};
    c.write_raw(std::string("\x00\x01\x02\xff\r\n\r\n", 8));
    c.read(); // whatever comes back, the server must survive it
    CHECK(c.closed_by_peer());
  }
  SECTION("a bad target") {
    client c{f.port};
    c.write_raw("GET /api/v1/echo/%zz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto res = c.read();
    REQUIRE(res);
    CHECK(res->result_int() == 400);
  }
  SECTION("headers over the limit") {
    client c{f.port};
    auto req = make(bhttp::verb::get, "/api/v1/echo/1");
    req.set("X-Filler", std::string(16 * 1024, 'f'));
    c.write(std::move(req));
    auto res = c.read();
    REQUIRE(res);
    CHECK(res->result_int() == 431);
    CHECK(error_code_of(*res) == "invalid_request");
    CHECK(c.closed_by_peer());
  }
  SECTION("a client that leaves mid-request") {
    {
      client c{f.port};
      c.write_raw("POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"q");
    }
  }
  client again{f.port};
  CHECK(again.request(make(bhttp::verb::get, "/healthz")).result_int() == 200);
}

TEST_CASE("idle keep-alive and slow requests time out", "[net][server]") {
  fixture f{[](config::http_section& cfg) {
    cfg.idle_timeout_ms = 200;
    cfg.read_timeout_ms = 300;
  }};
  SECTION("idle after a response") {
    client c{f.port};
    CHECK(c.request(make(bhttp::verb::get, "/healthz")).result_int() == 200);
    CHECK(c.closed_by_peer(2s));
  }
  SECTION("a request that never completes (slowloris)") {
    client c{f.port};
    c.write_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    CHECK(c.closed_by_peer(2s));
  }
}

TEST_CASE("a response the client does not read is given up after the read timeout",
          "[net][server]") {
  fixture f{[](config::http_section& cfg) { cfg.read_timeout_ms = 300; }};
  client c{f.port};
  auto start = std::chrono::steady_clock::now();
  c.write(make(bhttp::verb::get, "/api/v1/big")); // 32 MiB, more than the socket buffers hold
  auto until = [&](auto done) {
    while (!done() && std::chrono::steady_clock::now() - start < 5s)
      std::this_thread::sleep_for(5ms);
  };
  until([&] { return f.server->open_connections() == 1; });
  until([&] { return f.server->open_connections() == 0; });
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(f.server->open_connections() == 0);
  CHECK(waited >= 290ms);
}

TEST_CASE("beyond http.max_connections a connection waits until another closes",
          "[net][server]") {
  fixture f{[](config::http_section& cfg) { cfg.max_connections = 2; }};
  // Two connections that are not between keep-alive requests: one whose
  // handler never answers, one that has sent nothing yet.
  client busy{f.port};
  busy.write(make(bhttp::verb::get, "/api/v1/never"));
  std::optional<client> fresh{std::in_place, f.port};
  for (int i = 0; i < 100 && f.server->open_connections() < 2; ++i)
    std::this_thread::sleep_for(10ms);
  REQUIRE(f.server->open_connections() == 2);
  // The third connects (the kernel's listen backlog holds it) but is not
  // served while both are open.
  client third{f.port};
  third.write(make(bhttp::verb::get, "/api/v1/echo/late"));
  CHECK_FALSE(third.read(300ms));
  CHECK(f.server->open_connections() == 2);
  fresh.reset();
  auto late = third.read(2s);
  REQUIRE(late);
  CHECK(late->result_int() == 200);
  CHECK(body_of(*late).at("id").as_string() == "late");
}

TEST_CASE("at http.max_connections idle keep-alive connections are closed to make room",
          "[net][server]") {
  fixture f{[](config::http_section& cfg) { cfg.max_connections = 2; }};
  client first{f.port};
  client second{f.port};
  CHECK(first.request(make(bhttp::verb::get, "/healthz")).result_int() == 200);
  CHECK(second.request(make(bhttp::verb::get, "/healthz")).result_int() == 200);
  client third{f.port};
  third.write(make(bhttp::verb::get, "/api/v1/echo/next"));
  auto next = third.read(2s);
  REQUIRE(next);
  CHECK(next->result_int() == 200);
  // An idle one was closed for it (both, when both were idle at that moment).
  bool first_closed = first.closed_by_peer(1s);
  bool second_closed = second.closed_by_peer(first_closed ? 100ms : 1s);
  CHECK((first_closed || second_closed));
  CHECK(f.server->open_connections() <= 2);
}

TEST_CASE("operational routes: healthz and Prometheus metrics", "[net][server]") {
  fixture f;
  client c{f.port};
  auto health = c.request(make(bhttp::verb::get, "/healthz"));
  CHECK(health.result_int() == 200);
  CHECK(health.body() == R"({"status":"ok"})");
  c.request(make(bhttp::verb::get, "/api/v1/echo/m"));
  c.request(make(bhttp::verb::get, "/api/v1/unknown-for-metrics"));
  auto m = c.request(make(bhttp::verb::get, "/metrics"));
  CHECK(m.result_int() == 200);
  CHECK(m[bhttp::field::content_type].starts_with("text/plain; version=0.0.4"));
  auto& text = m.body();
  CHECK(text.find(R"(agora_http_requests_total{route="/api/v1/echo/{id}",method="GET",)"
                  R"(status="200"})")
        != std::string::npos);
  CHECK(text.find(R"(agora_http_requests_total{route="unmatched",method="GET",status="404"})")
        != std::string::npos);
  CHECK(text.find("agora_http_request_duration_seconds_bucket{route=\"/api/v1/echo/{id}\"")
        != std::string::npos);
  CHECK(text.find("agora_http_connections_open") != std::string::npos);
  CHECK(text.find("agora_http_requests_in_flight") != std::string::npos);
}

TEST_CASE("graceful stop finishes in-flight requests, then refuses", "[net][server]") {
  fixture f;
  client idle{f.port};
  CHECK(idle.request(make(bhttp::verb::get, "/healthz")).result_int() == 200);
  client busy{f.port};
  busy.write(make(bhttp::verb::get, "/api/v1/slow"));
  while (f.slow_started.load() == 0)
    std::this_thread::sleep_for(5ms);
  auto start = std::chrono::steady_clock::now();
  auto stopped = std::async(std::launch::async, [&] { f.server->stop(5s); });
  auto res = busy.read();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK_FALSE(res->keep_alive()); // closes after the last response
  stopped.get();
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 200ms); // waited for the slow reply (300 ms after it started)
  CHECK(took < 4s);     // did not sit out the grace period
  CHECK(idle.closed_by_peer(1s));
  CHECK(busy.closed_by_peer(1s));
  CHECK_THROWS(client{f.port});
}

TEST_CASE("stop gives up on a stuck request after the grace period", "[net][server]") {
  fixture f;
  client c{f.port};
  c.write(make(bhttp::verb::get, "/api/v1/never"));
  std::this_thread::sleep_for(100ms);
  auto start = std::chrono::steady_clock::now();
  f.server->stop(200ms);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 190ms);
  CHECK(took < 2s);
  CHECK(c.closed_by_peer(1s));
  // A reply after the stop is dropped, not a crash.
  std::lock_guard guard{f.parked_mtx};
  REQUIRE(f.parked.size() == 1);
  f.parked[0].json(200, "{}");
}

TEST_CASE("a response is written byte for byte as Beast's serializer writes it",
          "[net][server]") {
  struct example {
    h::response r;
    unsigned minor;
    bool keep;
    bool with_body;
  };
  auto created = h::response::json(201, R"({"id":"x"})");
  created.with_header("Location", "/api/v1/carts/x");
  std::vector<example> examples{
    {h::response::json(200, R"({"a":[1,2,3]})"), 1, true, true},
    {created, 1, false, true},
    {h::response::no_content(), 1, true, true},
    {h::response::error(make_problem(errc::unavailable, "down")), 1, true, true},
    {h::response::error(make_problem(errc::not_found, "none")), 0, true, true},
    {h::response::text(200, "ok\n"), 0, false, true},
    {h::response::json(200, R"({"head":true})"), 1, true, false},
    {h::response::text(418, ""), 1, true, true},
  };
  for (const auto& e : examples) {
    wire_response m;
    m.version(e.minor == 0 ? 10 : 11);
    m.result(static_cast<bhttp::status>(e.r.status));
    m.set(bhttp::field::server, "agora");
    m.set("X-Request-Id", "req-1");
    if (!e.r.content_type.empty())
      m.set(bhttp::field::content_type, e.r.content_type);
    for (const auto& [k, v] : e.r.headers)
      m.insert(k, v);
    if (e.with_body)
      m.body() = e.r.body;
    m.keep_alive(e.keep);
    m.prepare_payload();
    std::ostringstream beast_bytes;
    beast_bytes << m;
    std::string ours = "leading bytes stay";
    h::detail::serialize_response(ours, e.r, "req-1", e.minor, e.keep, e.with_body);
    CHECK(ours == "leading bytes stay" + beast_bytes.str());
  }
}
