// The array encoders/decoders used to send a batch as one parameter per
// column, text-format and binary: pure unit tests plus round trips through
// PostgreSQL.
#include <catch2/catch.hpp>

#include <cstdint>

#include "persistence/pg/connection.hpp"
#include "persistence/pg/pg_array.hpp"
#include "tests/integration/support/test_db.hpp"

using namespace agora::persistence::pg;

TEST_CASE("array elements are quoted and escape quotes and backslashes", "[pg_array]") {
  CHECK(text_array({}) == "{}");
  CHECK(text_array({"a"}) == R"({"a"})");
  CHECK(text_array({"a", "b"}) == R"({"a","b"})");
  CHECK(text_array({""}) == R"({""})");
  CHECK(text_array({R"(say "hi")"}) == R"({"say \"hi\""})");
  CHECK(text_array({R"(C:\dir\)"}) == R"({"C:\\dir\\"})");
  CHECK(text_array({"NULL", "{x,y}", " pad "}) == R"({"NULL","{x,y}"," pad "})");
}

TEST_CASE("the array builder can be reused after finish", "[pg_array]") {
  array_builder b;
  b.add(std::string_view{"x"});
  CHECK(b.finish() == R"({"x"})");
  b.add(int64_t{7});
  b.add(int64_t{8});
  CHECK(b.finish() == "{7,8}");
}

TEST_CASE("array literals survive a round trip through PostgreSQL", "[pg_array][integration]") {
  agora::test::test_database db{false};
  auto conn = db.connect();
  std::vector<std::string> values{R"(he said "no")", R"(\)", R"(\\")", "", "NULL", "{,}",
                                  "tab\tnew\nline", "ünïcödé"};
  auto res = conn->exec_params("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS t(v, i) "
                               "ORDER BY i",
                               {text_array(values)});
  INFO(res.error().message);
  REQUIRE(res);
  REQUIRE(res.rows() == static_cast<int>(values.size()));
  for (int i = 0; i < res.rows(); ++i) {
    CHECK_FALSE(res.is_null(i, 0));
    CHECK(std::string{res.text(i, 0)} == values[static_cast<size_t>(i)]);
  }
  // JSON documents with quotes and backslashes in a jsonb[] literal.
  std::vector<std::string> docs{R"({"name":"a \"quoted\" \\ name"})", R"({"k":[1,2]})"};
  auto js = conn->exec_params("SELECT v->>'name' FROM unnest($1::jsonb[]) WITH ORDINALITY "
                              "AS t(v, i) ORDER BY i",
                              {text_array(docs)});
  INFO(js.error().message);
  REQUIRE(js);
  CHECK(std::string{js.text(0, 0)} == R"(a "quoted" \ name)");
}

TEST_CASE("binary arrays read back as they were built", "[pg_array]") {
  binary_array_builder texts{text_oid};
  for (std::string_view v : {R"(he said "no")", "", "tab\tnew\nline", "ünïcödé"})
    texts.add(v);
  auto data = texts.finish();
  std::vector<std::string> out;
  REQUIRE(parse_binary_array(data, text_oid, out));
  CHECK(out == std::vector<std::string>{R"(he said "no")", "", "tab\tnew\nline", "ünïcödé"});
  // The builder starts over after finish; an empty array has no dimension.
  auto empty = texts.finish();
  CHECK(empty.size() == 12);
  REQUIRE(parse_binary_array(empty, text_oid, out));
  CHECK(out.empty());
  // Another element type, a truncated array and trailing bytes are refused.
  CHECK_FALSE(parse_binary_array(data, jsonb_oid, out));
  CHECK_FALSE(parse_binary_array(std::string_view{data}.substr(0, data.size() - 1), text_oid, out));
  CHECK_FALSE(parse_binary_array(data + "x", text_oid, out));
  binary_array_builder docs{jsonb_oid};
  docs.add_jsonb(R"({"k":1})");
  REQUIRE(parse_binary_array(docs.finish(), jsonb_oid, out));
  CHECK(out == std::vector<std::string>{R"({"k":1})"});
}

TEST_CASE("binary arrays survive a round trip through PostgreSQL", "[pg_array][integration]") {
  agora::test::test_database db{false};
  auto conn = db.connect();
  REQUIRE(conn->prepare("echo_rows",
                        "SELECT t, n, j->>'name', j::text FROM unnest($1::text[], $2::bigint[], "
                        "$3::jsonb[]) WITH ORDINALITY AS r(t, n, j, i) ORDER BY i"));
  std::vector<std::string> texts{R"(he said "no")", R"(\)", "", "NULL", "{,}", "ünïcödé"};
  std::vector<int64_t> numbers{0, -1, 1, INT64_MAX, INT64_MIN, 4242424242};
  binary_array_builder t{text_oid}, n{int8_oid}, j{jsonb_oid};
  for (size_t i = 0; i < texts.size(); ++i) {
    t.add(texts[i]);
    n.add(numbers[i]);
    j.add_jsonb(R"({"name":")" + std::to_string(i) + R"( \"q\" \\"})");
  }
  auto res = conn->exec_prepared("echo_rows", {t.finish(), n.finish(), j.finish()},
                                 agora::persistence::pg::param_format::binary);
  INFO(res.error().message);
  REQUIRE(res);
  REQUIRE(res.rows() == static_cast<int>(texts.size()));
  for (int i = 0; i < res.rows(); ++i) {
    auto k = static_cast<size_t>(i);
    CHECK(std::string{res.text(i, 0)} == texts[k]);
    CHECK(res.int64(i, 1) == numbers[k]);
    CHECK(std::string{res.text(i, 2)} == std::to_string(k) + R"( "q" \)");
  }
  // An empty array is zero rows; a jsonb element that is not JSON fails the statement.
  auto none = conn->exec_prepared("echo_rows",
                                  {binary_array_builder{text_oid}.finish(),
                                   binary_array_builder{int8_oid}.finish(),
                                   binary_array_builder{jsonb_oid}.finish()},
                                  agora::persistence::pg::param_format::binary);
  REQUIRE(none);
  CHECK(none.rows() == 0);
  binary_array_builder bad{jsonb_oid};
  bad.add_jsonb("{not json");
  binary_array_builder one_text{text_oid}, one_int{int8_oid};
  one_text.add("x");
  one_int.add(int64_t{1});
  CHECK_FALSE(conn->exec_prepared("echo_rows", {one_text.finish(), one_int.finish(), bad.finish()},
                                  agora::persistence::pg::param_format::binary));
}
