// json_writer (actors/common/json_writer.hpp) against Boost.JSON, the
// lock-free format_rfc3339 against glibc's gmtime_r, and the object-text
// helpers of actors/common/json.hpp (is_json_object, with_string_member).
#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>
#include <limits>
#include <random>

#include "actors/common/json.hpp"
#include "actors/common/json_writer.hpp"
#include "actors/common/time.hpp"

using namespace agora;

namespace {

/// What format_rfc3339 printed before it stopped calling gmtime_r.
std::string reference_rfc3339(timestamp_us t) {
  auto secs = static_cast<std::time_t>(t >= 0 ? t / 1000000 : (t - 999999) / 1000000);
  auto millis = static_cast<int>((t - static_cast<int64_t>(secs) * 1000000) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

/// Every byte below 0x80 and a few multi-byte UTF-8 characters.
std::string awkward_text() {
  std::string s;
  for (int c = 0; c < 0x80; ++c)
    s += static_cast<char>(c);
  return s + "é ✓ 𝄞 \"quoted\" back\\slash";
}

} // namespace

TEST_CASE("json_writer escapes strings exactly as Boost.JSON serializes them",
          "[json_writer]") {
  for (int c = 0; c < 0x80; ++c) {
    std::string one(1, static_cast<char>(c));
    INFO("byte " << c);
    CHECK(json_writer{}.value(one).take() == json::serialize(json::string_view{one}));
  }
  auto text = awkward_text();
  CHECK(json_writer{}.value(text).take() == json::serialize(json::string_view{text}));
  CHECK(json_writer{}.value("").take() == R"("")");
}

TEST_CASE("json_writer writes nested objects and arrays that parse back to the same value",
          "[json_writer]") {
  auto text = awkward_text();
  json_writer w;
  w.begin_object()
    .member("s", text)
    .member("min", std::numeric_limits<int64_t>::min())
    .member("max", std::numeric_limits<int64_t>::max())
    .member("zero", int64_t{0})
    .member("yes", true)
    .member("no", false)
    .member("none", nullptr)
    .member("absent", std::optional<std::string>{})
    .member("present", std::optional<std::string>{"x"});
  w.key("empty_array").begin_array().end_array();
  w.key("empty_object").begin_object().end_object();
  w.key("list").begin_array();
  for (int64_t i = 0; i < 3; ++i)
    w.begin_object()
      .member("i", i)
      .key("inner")
      .begin_array()
      .value(i)
      .value("v")
      .end_array()
      .end_object();
  w.end_array();
  w.key(text).value(int64_t{7});
  auto written = w.end_object().take();

  json::object expected;
  expected["s"] = text;
  expected["min"] = std::numeric_limits<int64_t>::min();
  expected["max"] = std::numeric_limits<int64_t>::max();
  expected["zero"] = 0;
  expected["yes"] = true;
  expected["no"] = false;
  expected["none"] = nullptr;
  expected["absent"] = nullptr;
  expected["present"] = "x";
  expected["empty_array"] = json::array{};
  expected["empty_object"] = json::object{};
  json::array list;
  for (int64_t i = 0; i < 3; ++i)
    list.push_back(json::object{{"i", i}, {"inner", json::array{i, "v"}}});
  expected["list"] = std::move(list);
  expected[text] = 7;
  // Same members in the same order: the texts are identical.
  CHECK(written == json::serialize(expected));
  auto parsed = parse_json(written);
  REQUIRE(parsed);
  CHECK(*parsed == json::value(expected));
}

TEST_CASE("json_writer starts afresh after take", "[json_writer]") {
  json_writer w;
  w.begin_array().value(int64_t{1}).value(int64_t{2});
  CHECK(w.end_array().take() == "[1,2]");
  CHECK(w.begin_object().member("a", int64_t{1}).end_object().take() == R"({"a":1})");
  CHECK(w.time(0).take() == R"("1970-01-01T00:00:00.000Z")");
}

TEST_CASE("format_rfc3339 prints what gmtime_r gives, without it", "[time]") {
  // Day, month, year and leap-day boundaries, both sides of the epoch.
  std::vector<timestamp_us> edges{0,
                                  -1,
                                  999,
                                  1000,
                                  -1000,
                                  -1001,
                                  86'399'999'999,
                                  86'400'000'000,
                                  951'782'400'000'000,  // 2000-02-29
                                  951'868'800'000'000,  // 2000-03-01
                                  -2'203'891'200'000'000, // 1900-03-01
                                  4'107'542'400'000'000,  // 2100-03-01
                                  1'764'000'000'123'456,
                                  -62'167'219'200'000'000, // 0000-01-01
                                  253'402'300'799'999'999}; // 9999-12-31T23:59:59.999
  for (auto t : edges) {
    INFO("t = " << t);
    CHECK(format_rfc3339(t) == reference_rfc3339(t));
  }
  std::mt19937_64 rng{42};
  std::uniform_int_distribution<int64_t> any(-62'167'219'200'000'000, 253'402'300'799'999'999);
  for (int i = 0; i < 100'000; ++i) {
    auto t = any(rng);
    INFO("t = " << t);
    REQUIRE(format_rfc3339(t) == reference_rfc3339(t));
  }
  // Outside years 0-9999 the text is wider, as printf's %04d makes it.
  CHECK(format_rfc3339(253'402'300'800'000'000) == reference_rfc3339(253'402'300'800'000'000));
  CHECK(format_rfc3339(-62'167'219'200'000'001) == reference_rfc3339(-62'167'219'200'000'001));
}

TEST_CASE("raw and object_text write a JSON text as it is, separated like any value", "[json]") {
  json_writer w;
  w.begin_object().member("a", int64_t{1}).key("b").raw(R"({"c":[1,2]})");
  w.key("d").begin_array().raw("true").raw("null").end_array().end_object();
  CHECK(w.take() == R"({"a":1,"b":{"c":[1,2]},"d":[true,null]})");
  // object_text: an object as it is, anything else as {}.
  w.begin_array().object_text(R"({"x":1})").object_text("[1]").object_text("{oops").end_array();
  CHECK(w.take() == R"([{"x":1},{},{}])");
}

TEST_CASE("is_json_object checks without building a value", "[json]") {
  for (std::string_view ok : {"{}", R"({"a":1})", R"( {"a":{"b":[1,"x"]},"c":null} )",
                              R"({"s":"}"})"})
    CHECK(is_json_object(ok));
  for (std::string_view bad : {"", " ", "[1,2]", "\"{}\"", "1", "{", "{}}", R"({"a":1} x)",
                               "{not json}", R"({"a":})", "{} {}"})
    CHECK_FALSE(is_json_object(bad));
}

TEST_CASE("with_string_member adds a member to an object text", "[json]") {
  CHECK(with_string_member("{}", "id", "c-1") == R"({"id":"c-1"})");
  CHECK(with_string_member(R"({"sku":"A","n":2})", "id", "c-1")
        == R"({"sku":"A","n":2,"id":"c-1"})");
  CHECK(with_string_member(R"({"a":1})", "id", "say \"hi\"") == R"({"a":1,"id":"say \"hi\""})");
  // A member of that name is replaced, not repeated.
  CHECK(with_string_member(R"({"id":"old","a":1})", "id", "new") == R"({"id":"new","a":1})");
  // Not an object: the member alone.
  CHECK(with_string_member("not json", "id", "c-1") == R"({"id":"c-1"})");
  CHECK(with_string_member("[1]", "id", "c-1") == R"({"id":"c-1"})");
  for (std::string_view object : {"{}", R"({"a":[1,{"b":2}]})", R"( {"a" : 1} )"}) {
    auto out = with_string_member(object, "id", "x");
    auto v = parse_json(out);
    REQUIRE(v);
    REQUIRE(v->is_object());
    CHECK(v->get_object().at("id").as_string() == "x");
  }
}
