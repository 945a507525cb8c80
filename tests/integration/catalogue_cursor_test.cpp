// Keyset cursors: base64url round trips and rejection of tampered cursors.
#include <catch2/catch.hpp>

#include "persistence/projections/catalogue_cursor.hpp"

using namespace agora::persistence::catalogue;

TEST_CASE("base64url encodes without padding and decodes strictly", "[catalogue][cursor]") {
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  for (std::string s : {std::string{}, std::string{"a"}, std::string{"ab"}, std::string{"abc"},
                        std::string{"abcd"}, std::string("\x00\xff\x10 x", 5)})
    CHECK(base64url_decode(base64url_encode(s)) == s);
  CHECK_FALSE(base64url_decode("Zg=="));  // padding
  CHECK_FALSE(base64url_decode("Z"));     // impossible length
  CHECK_FALSE(base64url_decode("Zm+v"));  // standard alphabet
  CHECK_FALSE(base64url_decode("Zh"));    // non-zero trailing bits
}

TEST_CASE("cursors round trip for every sort order", "[catalogue][cursor]") {
  for (auto [sort, key] : {std::pair{sort_order::relevance, std::string{"0.0607927"}},
                           std::pair{sort_order::price_asc, std::string{"1999"}},
                           std::pair{sort_order::price_desc, std::string{"-5"}},
                           std::pair{sort_order::name, std::string{"Café \"Ü\" \\ 1"}}}) {
    cursor_key in{sort, key, "A-1"};
    auto text = encode_cursor(in);
    CHECK(text.find_first_of("+/=") == std::string::npos);
    auto out = decode_cursor(text, sort);
    REQUIRE(out);
    CHECK(out->sort == sort);
    CHECK(out->key == key);
    CHECK(out->sku == "A-1");
  }
}

TEST_CASE("tampered cursors are rejected naming the cursor field", "[catalogue][cursor]") {
  auto check_bad = [](std::string_view text, sort_order sort) {
    auto res = decode_cursor(text, sort);
    REQUIRE_FALSE(res);
    CHECK(res.error().code == agora::errc::invalid_request);
    CHECK(res.error().details == R"({"field":"cursor"})");
  };
  auto good = encode_cursor({sort_order::price_asc, "100", "A-1"});
  check_bad("", sort_order::price_asc);
  check_bad("!!!", sort_order::price_asc);
  check_bad(good + "A", sort_order::price_asc);
  check_bad(good, sort_order::name);                          // another sort's cursor
  check_bad(base64url_encode("not json"), sort_order::name);
  check_bad(base64url_encode(R"({"s":"name","k":"x"})"), sort_order::name);
  check_bad(base64url_encode(R"({"s":"price_asc","k":"1e3","id":"A"})"), sort_order::price_asc);
  check_bad(base64url_encode(R"({"s":"relevance","k":"nan","id":"A"})"), sort_order::relevance);
  check_bad(base64url_encode(R"({"s":"relevance","k":"0.1; drop","id":"A"})"),
            sort_order::relevance);
  check_bad(base64url_encode(R"({"s":"name","k":"x","id":"A","extra":1})"), sort_order::name);
  auto flipped = good;
  flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
  auto res = decode_cursor(flipped, sort_order::price_asc);
  CHECK_FALSE(res);
}

TEST_CASE("sort names parse", "[catalogue][cursor]") {
  CHECK(parse_sort("relevance") == sort_order::relevance);
  CHECK(parse_sort("price_asc") == sort_order::price_asc);
  CHECK(parse_sort("price_desc") == sort_order::price_desc);
  CHECK(parse_sort("name") == sort_order::name);
  CHECK_FALSE(parse_sort("Name"));
  CHECK_FALSE(parse_sort(""));
}
