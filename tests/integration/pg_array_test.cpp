// The text-format array encoder/decoder used to send a batch as one
// parameter per column: pure unit tests plus a round trip through PostgreSQL.
#include <catch2/catch.hpp>

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
  CHECK(int_array({1, -2, 300}) == "{1,-2,300}");
}

TEST_CASE("the array builder can be reused after finish", "[pg_array]") {
  array_builder b;
  b.add(std::string_view{"x"});
  CHECK(b.finish() == R"({"x"})");
  b.add(int64_t{7});
  b.add(int64_t{8});
  CHECK(b.finish() == "{7,8}");
}

TEST_CASE("parse_text_array reads what text_array writes and what PostgreSQL prints",
          "[pg_array]") {
  std::vector<std::string> in{"plain", "", R"(q"uote)", R"(back\slash)", "a,b", "{}", "NULL"};
  std::vector<std::string> out;
  REQUIRE(parse_text_array(text_array(in), out));
  CHECK(out == in);
  REQUIRE(parse_text_array("{abc,def}", out));
  CHECK(out == std::vector<std::string>{"abc", "def"});
  REQUIRE(parse_text_array("{}", out));
  CHECK(out.empty());
  CHECK_FALSE(parse_text_array("abc", out));
  CHECK_FALSE(parse_text_array(R"({"open})", out));
  CHECK_FALSE(parse_text_array("{a,,b}", out));
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
  auto echoed = conn->exec_params("SELECT $1::text[]::text", {text_array(values)});
  REQUIRE(echoed);
  std::vector<std::string> parsed;
  REQUIRE(parse_text_array(echoed.text(0, 0), parsed));
  CHECK(parsed == values);
  // JSON documents with quotes and backslashes, as the journal sends them.
  std::vector<std::string> docs{R"({"name":"a \"quoted\" \\ name"})", R"({"k":[1,2]})"};
  auto js = conn->exec_params("SELECT v->>'name' FROM unnest($1::jsonb[]) WITH ORDINALITY "
                              "AS t(v, i) ORDER BY i",
                              {text_array(docs)});
  INFO(js.error().message);
  REQUIRE(js);
  CHECK(std::string{js.text(0, 0)} == R"(a "quoted" \ name)");
}
