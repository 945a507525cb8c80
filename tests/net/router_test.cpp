// Route matching: params, literal-over-param priority, 404, 405 + Allow,
// trailing slashes and malformed patterns.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "net/http/router.hpp"
#include "net/http/target.hpp"

using namespace agora::net::http;

namespace {

handler noop() {
  return [](request&, responder) {};
}

router sample_router() {
  router r;
  r.get("/api/v1/products", auth_requirement::none, noop());
  r.post("/api/v1/products", auth_requirement::admin, noop());
  r.get("/api/v1/products/suggest", auth_requirement::none, noop());
  r.get("/api/v1/products/{sku}", auth_requirement::none, noop());
  r.put("/api/v1/products/{sku}", auth_requirement::admin, noop());
  r.del("/api/v1/products/{sku}", auth_requirement::admin, noop());
  r.get("/api/v1/carts/{cart_id}", auth_requirement::optional, noop());
  r.put("/api/v1/carts/{cart_id}/items/{sku}", auth_requirement::optional, noop());
  r.del("/api/v1/carts/{cart_id}/items/{sku}", auth_requirement::optional, noop());
  r.post("/api/v1/carts/{id}/checkout", auth_requirement::optional, noop());
  r.get("/admin/v1/actors/{type}/{id}", auth_requirement::admin, noop());
  r.get("/", auth_requirement::none, noop());
  return r;
}

} // namespace

TEST_CASE("routes match by method and pattern, decoding params", "[net][router]") {
  auto r = sample_router();
  struct row {
    verb method;
    const char* target;
    route_match::outcome kind;
    const char* pattern; // matched pattern, or the Allow header for 405
  };
  using o = route_match::outcome;
  const row table[] = {
    {verb::get, "/api/v1/products", o::found, "/api/v1/products"},
    {verb::post, "/api/v1/products", o::found, "/api/v1/products"},
    {verb::get, "/api/v1/products/", o::found, "/api/v1/products"},
    {verb::get, "/api/v1/products?q=phone&limit=5", o::found, "/api/v1/products"},
    {verb::get, "/api/v1/products/suggest", o::found, "/api/v1/products/suggest"},
    {verb::get, "/api/v1/products/suggest?prefix=ip", o::found, "/api/v1/products/suggest"},
    {verb::get, "/api/v1/products/A-1", o::found, "/api/v1/products/{sku}"},
    {verb::put, "/api/v1/products/A-1", o::found, "/api/v1/products/{sku}"},
    {verb::del, "/api/v1/products/A-1", o::found, "/api/v1/products/{sku}"},
    {verb::patch, "/api/v1/products/A-1", o::method_not_allowed, "GET, PUT, DELETE"},
    {verb::put, "/api/v1/products/suggest", o::method_not_allowed, "GET"},
    {verb::del, "/api/v1/products", o::method_not_allowed, "GET, POST"},
    {verb::get, "/api/v1/carts/c1/items/A-1", o::method_not_allowed, "PUT, DELETE"},
    {verb::put, "/api/v1/carts/c1/items/A-1", o::found, "/api/v1/carts/{cart_id}/items/{sku}"},
    {verb::post, "/api/v1/carts/c1/checkout", o::found, "/api/v1/carts/{id}/checkout"},
    {verb::get, "/admin/v1/actors/cart/42", o::found, "/admin/v1/actors/{type}/{id}"},
    {verb::get, "/", o::found, "/"},
    {verb::get, "/api/v1/nope", o::not_found, ""},
    {verb::get, "/api/v1/products/A-1/extra", o::not_found, ""},
    {verb::get, "/api/v1/carts//items/A-1", o::not_found, ""},
    {verb::get, "/api/v1", o::not_found, ""},
    {verb::get, "/API/v1/products", o::not_found, ""},
    {verb::get, "no-leading-slash", o::not_found, ""},
    {verb::get, "/api/v1/products/%zz", o::not_found, ""},
  };
  for (auto& row : table) {
    INFO(to_string(row.method) << " " << row.target);
    auto m = r.match(row.method, std::string_view{row.target});
    CHECK(m.kind == row.kind);
    if (row.kind == o::found) {
      REQUIRE(m.matched != nullptr);
      CHECK(m.matched->pattern == row.pattern);
      CHECK(m.matched->method == row.method);
    } else if (row.kind == o::method_not_allowed) {
      CHECK(m.allow == row.pattern);
      CHECK(m.matched == nullptr);
    }
  }
}

TEST_CASE("path params are named by the matched route and percent-decoded", "[net][router]") {
  auto r = sample_router();
  auto m = r.match(verb::put, std::string_view{"/api/v1/carts/c%201/items/A%2F1"});
  REQUIRE(m.kind == route_match::outcome::found);
  REQUIRE(m.params.size() == 2);
  CHECK(m.params[0] == std::pair<std::string, std::string>{"cart_id", "c 1"});
  CHECK(m.params[1] == std::pair<std::string, std::string>{"sku", "A/1"});
  auto c = r.match(verb::post, std::string_view{"/api/v1/carts/xyz/checkout"});
  REQUIRE(c.params.size() == 1);
  CHECK(c.params[0].first == "id");
  CHECK(c.params[0].second == "xyz");
}

TEST_CASE("route metadata: names, ids, auth and has()", "[net][router]") {
  router r;
  auto& a = r.add(verb::get, "/x/{id}", auth_requirement::customer, noop(), "x-by-id");
  auto& b = r.add(verb::post, "/x/{other}", auth_requirement::admin, noop());
  CHECK(a.name == "x-by-id");
  CHECK(b.name == "/x/{other}");
  CHECK(a.id == 0);
  CHECK(b.id == 1);
  CHECK(r.has(verb::get, "/x/{anything}"));
  CHECK_FALSE(r.has(verb::put, "/x/{id}"));
  CHECK_FALSE(r.has(verb::get, "/y"));
  auto m = r.match(verb::post, std::string_view{"/x/7"});
  REQUIRE(m.matched == &b);
  CHECK(m.matched->auth == auth_requirement::admin);
  CHECK(m.params[0].first == "other");
}

TEST_CASE("malformed and duplicate patterns are refused at registration", "[net][router]") {
  router r;
  r.get("/a/{id}", auth_requirement::none, noop());
  CHECK_THROWS_AS(r.get("/a/{id}", auth_requirement::none, noop()), std::invalid_argument);
  CHECK_THROWS_AS(r.get("/a/{x}", auth_requirement::none, noop()), std::invalid_argument);
  CHECK_THROWS_AS(r.get("a", auth_requirement::none, noop()), std::invalid_argument);
  CHECK_THROWS_AS(r.get("/a//b", auth_requirement::none, noop()), std::invalid_argument);
  CHECK_THROWS_AS(r.get("/a/{}", auth_requirement::none, noop()), std::invalid_argument);
  CHECK_THROWS_AS(r.get("/a/{id", auth_requirement::none, noop()), std::invalid_argument);
  CHECK_THROWS_AS(r.get("/a/x{id}", auth_requirement::none, noop()), std::invalid_argument);
  CHECK_NOTHROW(r.post("/a/{id}", auth_requirement::none, noop()));
}

TEST_CASE("targets are split into decoded segments and query parameters", "[net][router]") {
  auto t = parse_target("/a/b%20c/?x=1&y=two+words&x=2&flag&e=%26&=v#frag");
  REQUIRE(t);
  CHECK(t->path == "/a/b%20c");
  CHECK(t->segments == std::vector<std::string>{"a", "b c"});
  REQUIRE(t->query.size() == 6);
  CHECK(t->query[0] == std::pair<std::string, std::string>{"x", "1"});
  CHECK(t->query[1] == std::pair<std::string, std::string>{"y", "two words"});
  CHECK(t->query[2] == std::pair<std::string, std::string>{"x", "2"});
  CHECK(t->query[3] == std::pair<std::string, std::string>{"flag", ""});
  CHECK(t->query[4] == std::pair<std::string, std::string>{"e", "&"});
  CHECK(t->query[5] == std::pair<std::string, std::string>{"", "v"});
  CHECK(parse_target("/")->segments.empty());
  CHECK_FALSE(parse_target(""));
  CHECK_FALSE(parse_target("http://host/a"));
  CHECK_FALSE(parse_target("/a%2"));
  CHECK_FALSE(parse_target("/a?x=%G1"));
  CHECK(percent_decode("a+b%41", false) == std::optional<std::string>{"a+bA"});
  CHECK(percent_decode("a+b%41", true) == std::optional<std::string>{"a bA"});
  CHECK_FALSE(percent_decode("%", true));
}

TEST_CASE("decoded targets must be UTF-8 without U+0000", "[net][router]") {
  // Text PostgreSQL can store: a search for %ff failed in the database (500).
  CHECK(percent_decode("%E2%82%AC%F0%9F%98%80", false) == std::optional<std::string>{"€😀"});
  CHECK(percent_decode("caf%C3%A9", true) == std::optional<std::string>{"café"});
  for (auto bad : {"%ff", "%00", "a%00b", "%C0%80" /* overlong NUL */, "%E0%80%AF" /* overlong */,
                   "%ED%A0%80" /* surrogate */, "%F4%90%80%80" /* above U+10FFFF */,
                   "%E2%82" /* truncated */, "%80" /* continuation first */, "%C3%28"}) {
    INFO(bad);
    CHECK_FALSE(percent_decode(bad, true));
  }
  CHECK_FALSE(parse_target("/api/v1/products?q=%ff"));
  CHECK_FALSE(parse_target("/api/v1/products/%00"));
  CHECK_FALSE(parse_target("/a/\xff"));
}

TEST_CASE("repeated query keys: the first wins", "[net][router]") {
  request req;
  auto t = parse_target("/x?limit=5&limit=7");
  req.query = t->query;
  CHECK(req.query_param("limit") == std::optional<std::string_view>{"5"});
  CHECK_FALSE(req.query_param("cursor"));
  req.headers = {{"Content-Type", "application/json"}, {"X-A", "1"}, {"x-a", "2"}};
  CHECK(req.header("content-type") == std::optional<std::string_view>{"application/json"});
  CHECK(req.header("X-A") == std::optional<std::string_view>{"1"});
  CHECK_FALSE(req.header("Authorization"));
}
