// JSON body and query helpers: every bad-type case yields 400
// invalid_request naming the field.
#include <catch2/catch.hpp>

#include "net/http/body.hpp"
#include "net/http/target.hpp"

using namespace agora;
using namespace agora::net::http;

namespace {

json::object obj(std::string_view text) {
  auto r = parse_json_object(text);
  REQUIRE(r);
  return std::move(r).value();
}

/// The field named in a problem's details.
std::string field_of(const problem& p) {
  auto d = parse_json(p.details);
  REQUIRE(d);
  auto* f = d->as_object().if_contains("field");
  return f && f->is_string() ? std::string(f->as_string()) : std::string{};
}

request with_query(std::string_view target) {
  request req;
  req.query = parse_target(target)->query;
  return req;
}

} // namespace

TEST_CASE("bodies must be JSON objects", "[net][body]") {
  CHECK(parse_json_object("{}"));
  CHECK(parse_json_object(R"({"a":1})")->at("a").as_int64() == 1);
  CHECK(parse_json_object("")->empty());
  CHECK(parse_json_object("  \r\n")->empty());
  for (auto bad : {"{", "{\"a\":}", "nul", "{'a':1}", "{\"a\":1}x", "\xff"}) {
    INFO(bad);
    auto r = parse_json_object(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_request);
    CHECK(r.error().message == "malformed JSON");
  }
  for (auto bad : {"[]", "1", "\"s\"", "null", "true"}) {
    INFO(bad);
    auto r = parse_json_object(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "body must be a JSON object");
  }
}

TEST_CASE("a string that holds U+0000 is refused, naming its field", "[net][body]") {
  // PostgreSQL's text and jsonb cannot store it: the journal refused the
  // write and the client was told to retry (503) a request that never works.
  struct row {
    const char* body;
    const char* field;
  };
  for (auto [body, field] : {row{R"({"name":"a\u0000b"})", "name"},
                             row{R"({"shipping_address":{"city":"\u0000"}})", "shipping_address.city"},
                             row{R"({"tags":["ok",{"x":"\u0000"}]})", "tags[1].x"},
                             row{R"({"attributes":{"k\u0000":"v"}})", "attributes"}}) {
    INFO(body);
    auto r = parse_json_object(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_request);
    CHECK(r.error().details == std::string(R"({"field":")") + field + R"("})");
  }
  auto key = parse_json_object(R"({"\u0000":1})");
  REQUIRE_FALSE(key);
  CHECK(key.error().message == "text must not contain U+0000");
  // An escaped backslash before "u0000" is text, not U+0000.
  auto text = parse_json_object(R"({"name":"\\u0000"})");
  REQUIRE(text);
  CHECK(text->at("name").as_string() == "\\u0000");
}

TEST_CASE("integer fields reject fractions, strings, booleans and overflow", "[net][body]") {
  struct row {
    const char* body;
    bool ok;
    int64_t value;
  };
  const row table[] = {
    {R"({"quantity":1})", true, 1},
    {R"({"quantity":10000})", true, 10000},
    {R"({"quantity":0})", false, 0},
    {R"({"quantity":-1})", false, 0},
    {R"({"quantity":10001})", false, 0},
    {R"({"quantity":1.5})", false, 0},
    {R"({"quantity":1.0})", false, 0},
    {R"({"quantity":1e2})", false, 0},
    {R"({"quantity":"3"})", false, 0},
    {R"({"quantity":true})", false, 0},
    {R"({"quantity":[1]})", false, 0},
    {R"({"quantity":{"n":1}})", false, 0},
    {R"({"quantity":9223372036854775807})", false, 0},
    {R"({"quantity":9223372036854775808})", false, 0},
    {R"({"quantity":18446744073709551616})", false, 0},
    {R"({"quantity":-9223372036854775809})", false, 0},
    {R"({"quantity":1e400})", false, 0},
    {R"({"quantity":null})", false, 0},
    {R"({})", false, 0},
  };
  for (auto& row : table) {
    INFO(row.body);
    auto parsed = parse_json_object(row.body);
    if (!parsed) {
      // 1e400 may already fail parsing: still a 400, never a crash.
      CHECK_FALSE(row.ok);
      continue;
    }
    object_fields f{*parsed};
    auto q = f.required_int("quantity", 1, 10000);
    REQUIRE(bool(q) == row.ok);
    if (row.ok) {
      CHECK(*q == row.value);
    } else {
      CHECK(q.error().code == errc::invalid_request);
      CHECK(field_of(q.error()) == "quantity");
    }
  }
  auto wide = obj(R"({"n":-9223372036854775808})");
  CHECK(*object_fields{wide}.required_int("n", INT64_MIN, INT64_MAX) == INT64_MIN);
}

TEST_CASE("optional fields: absent and null are nullopt, wrong types fail", "[net][body]") {
  auto o = obj(R"({"a":null,"s":"x","n":5,"b":true,"o":{"k":"v"},"d":2.5})");
  object_fields f{o};
  CHECK_FALSE(f.has("a"));
  CHECK_FALSE(f.has("missing"));
  CHECK(f.has("s"));
  CHECK_FALSE(f.optional_int("a", 0, 10)->has_value());
  CHECK_FALSE(f.optional_int("missing", 0, 10)->has_value());
  CHECK(f.optional_int("n", 0, 10)->value() == 5);
  CHECK_FALSE(f.optional_int("s", 0, 10));
  CHECK_FALSE(f.optional_int("n", 6, 10));
  CHECK_FALSE(f.optional_string("missing")->has_value());
  CHECK(f.optional_string("s")->value() == "x");
  CHECK_FALSE(f.optional_string("n"));
  CHECK_FALSE(f.optional_string("b"));
  CHECK_FALSE(f.optional_string("o"));
  CHECK(f.optional_bool("b")->value());
  CHECK_FALSE(f.optional_bool("n"));
  CHECK_FALSE(f.optional_bool("s"));
  CHECK(f.optional_number("d", 0, 3)->value() == 2.5);
  CHECK(f.optional_number("n", 0, 10)->value() == 5.0);
  CHECK_FALSE(f.optional_number("d", 0, 2));
  CHECK_FALSE(f.optional_number("s", 0, 10));
  CHECK_FALSE(f.optional_object("missing")->has_value());
  REQUIRE(f.optional_object("o")->has_value());
  CHECK_FALSE(f.optional_object("s"));
  CHECK_FALSE(f.required_object("n"));
  CHECK_FALSE(f.required_object("missing"));
  CHECK(field_of(f.required_object("missing").error()) == "missing");
}

TEST_CASE("string fields: required, length limits in code points", "[net][body]") {
  auto o = obj(R"({"name":"Zoë","empty":"","long":"abcdef","num":7})");
  object_fields f{o};
  CHECK(*f.required_string("name", 3) == "Zoë");
  CHECK_FALSE(f.required_string("name", 2));
  auto empty = f.required_string("empty");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message == "empty must not be empty");
  CHECK(f.optional_string("empty")->value().empty());
  auto missing = f.required_string("email");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "email is required");
  CHECK(field_of(missing.error()) == "email");
  auto too_long = f.required_string("long", 5);
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().message == "long must be at most 5 characters");
  auto wrong = f.required_string("num");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message == "num must be a string");
  CHECK_FALSE(f.required_string("long", 100, 7));
}

TEST_CASE("nested objects name their fields by path", "[net][body]") {
  auto o = obj(R"({"shipping_address":{"name":"A","city":5,"lat":91}})");
  object_fields f{o};
  auto addr = f.required_object("shipping_address");
  REQUIRE(addr);
  CHECK(*addr->required_string("name") == "A");
  auto city = addr->required_string("city");
  REQUIRE_FALSE(city);
  CHECK(field_of(city.error()) == "shipping_address.city");
  CHECK(city.error().message == "shipping_address.city must be a string");
  auto lat = addr->optional_number("lat", -90, 90);
  REQUIRE_FALSE(lat);
  CHECK(field_of(lat.error()) == "shipping_address.lat");
}

TEST_CASE("pagination: limit defaults to 20 and must be 1-200", "[net][body]") {
  auto p = page_query(with_query("/x"));
  REQUIRE(p);
  CHECK(p->limit == 20);
  CHECK(p->cursor.empty());
  auto q = page_query(with_query("/x?limit=200&cursor=abc_-&limit=3"));
  REQUIRE(q);
  CHECK(q->limit == 200);
  CHECK(q->cursor == "abc_-");
  for (auto bad : {"/x?limit=0", "/x?limit=201", "/x?limit=-1", "/x?limit=", "/x?limit=abc",
                   "/x?limit=1.5", "/x?limit=+5", "/x?limit=5%20",
                   "/x?limit=99999999999999999999999"}) {
    INFO(bad);
    auto r = page_query(with_query(bad));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_request);
    CHECK(field_of(r.error()) == "limit");
  }
}

TEST_CASE("numeric query parameters", "[net][body]") {
  CHECK(query_int(with_query("/x?days=7"), "days", 1, 365)->value() == 7);
  CHECK_FALSE(query_int(with_query("/x"), "days", 1, 365)->has_value());
  CHECK_FALSE(query_int(with_query("/x?days=0"), "days", 1, 365));
  CHECK(query_number(with_query("/x?lat=52.52&lon=-13.4"), "lon", -180, 180)->value() == -13.4);
  CHECK(query_number(with_query("/x?lat=90"), "lat", -90, 90)->value() == 90.0);
  for (auto bad : {"/x?lat=91", "/x?lat=-90.5", "/x?lat=abc", "/x?lat=", "/x?lat=nan",
                   "/x?lat=inf", "/x?lat=1e1", "/x?lat=1,5"}) {
    INFO(bad);
    auto r = query_number(with_query(bad), "lat", -90, 90);
    REQUIRE_FALSE(r);
    CHECK(field_of(r.error()) == "lat");
  }
}
