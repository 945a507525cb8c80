// The product entity: every command's success and every rejection.
#include <catch2/catch.hpp>

#include <string>

#include "actors/product/product.hpp"
#include "tests/unit/entity_test_support.hpp"

using namespace agora;
using namespace agora::product;
using test::ctx;

namespace {

using traits = product_traits;

create valid_create() {
  return create{"SKU-1", "Phone", "A phone", 19'999, "USD", "Electronics",
                R"({"color": "black", "storage_gb": 128})"};
}

state created_product(timestamp_us at = 1'000) {
  state st;
  test::run<traits>(st, valid_create(), ctx(at, "SKU-1"));
  return st;
}

/// A string of `n` copies of a UTF-8 character.
std::string repeat(std::string_view ch, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += ch;
  return out;
}

} // namespace

TEST_CASE("creating a product records every field", "[product]") {
  state st;
  auto evs = test::run<traits>(st, valid_create(), ctx(1'000, "SKU-1"));
  REQUIRE(evs.size() == 1);
  auto& ev = std::get<created>(evs[0]);
  CHECK(ev.sku == "SKU-1");
  CHECK(ev.at == 1'000);
  // Attributes are kept as canonical JSON object text.
  CHECK(ev.attributes_json == R"({"color":"black","storage_gb":128})");
  CHECK(st.exists);
  CHECK_FALSE(st.retired);
  CHECK(st.sku == "SKU-1");
  CHECK(st.name == "Phone");
  CHECK(st.description == "A phone");
  CHECK(st.price_cents == 19'999);
  CHECK(st.currency == "USD");
  CHECK(st.category == "Electronics");
  CHECK(st.attributes_json == R"({"color":"black","storage_gb":128})");
  CHECK(st.version == 1);
  CHECK(st.created_at == 1'000);
  CHECK(st.updated_at == 1'000);
}

TEST_CASE("creating a product validates every field", "[product]") {
  state st;
  auto c = ctx(1, "SKU-1");
  auto with = [](auto change) {
    auto cmd = valid_create();
    change(cmd);
    return command{cmd};
  };
  test::check_invalid_field(test::reject<traits>(st, with([](create& x) { x.sku = "bad sku"; }), c),
                            "sku");
  test::check_invalid_field(test::reject<traits>(st, with([](create& x) { x.sku = ""; }), c),
                            "sku");
  test::check_invalid_field(test::reject<traits>(st, with([](create& x) { x.name = ""; }), c),
                            "name");
  test::check_invalid_field(
    test::reject<traits>(st, with([](create& x) { x.name = std::string(201, 'n'); }), c), "name");
  test::check_invalid_field(
    test::reject<traits>(st, with([](create& x) { x.description = std::string(5001, 'd'); }), c),
    "description");
  test::check_invalid_field(
    test::reject<traits>(st, with([](create& x) { x.price_cents = -1; }), c), "price_cents");
  test::check_invalid_field(
    test::reject<traits>(st, with([](create& x) { x.price_cents = max_price_cents + 1; }), c),
    "price_cents");
  for (const char* bad : {"usd", "US", "USDX", "", "U$D"})
    test::check_invalid_field(
      test::reject<traits>(st, with([&](create& x) { x.currency = bad; }), c), "currency");
  test::check_invalid_field(test::reject<traits>(st, with([](create& x) { x.category = ""; }), c),
                            "category");
  test::check_invalid_field(
    test::reject<traits>(st, with([](create& x) { x.category = std::string(101, 'c'); }), c),
    "category");
  for (const char* bad : {"[]", "\"text\"", "not json", "{", "42"})
    test::check_invalid_field(
      test::reject<traits>(st, with([&](create& x) { x.attributes_json = bad; }), c),
      "attributes");
}

TEST_CASE("field limits count characters, not bytes, and include the bounds", "[product]") {
  state st;
  auto cmd = valid_create();
  cmd.name = repeat("é", 200); // 400 bytes, 200 characters
  cmd.description = std::string(5000, 'd');
  cmd.category = repeat("ü", 100);
  cmd.price_cents = max_price_cents;
  cmd.attributes_json = "{}";
  test::run<traits>(st, cmd, ctx(1, "SKU-1"));
  CHECK(st.name == cmd.name);
  CHECK(st.price_cents == max_price_cents);

  state fresh;
  cmd.name = "x";
  cmd.price_cents = 0;
  cmd.description = "";
  test::run<traits>(fresh, cmd, ctx(1, "SKU-1"));
  CHECK(fresh.price_cents == 0);
  CHECK(fresh.description.empty());
}

TEST_CASE("validation comes before the existence check", "[product]") {
  auto st = created_product();
  auto cmd = valid_create();
  cmd.name = "";
  test::check_invalid_field(test::reject<traits>(st, cmd, ctx(2, "SKU-1")), "name");
}

TEST_CASE("creating an existing or retired SKU is a conflict", "[product]") {
  auto st = created_product();
  auto p = test::reject<traits>(st, valid_create(), ctx(2, "SKU-1"));
  CHECK(p.code == errc::conflict);
  CHECK(test::details(p).at("sku") == "SKU-1");

  test::run<traits>(st, retire{}, ctx(3, "SKU-1"));
  CHECK(test::reject<traits>(st, valid_create(), ctx(4, "SKU-1")).code == errc::conflict);
}

TEST_CASE("replacing a product sets every field but the SKU", "[product]") {
  auto st = created_product();
  auto evs = test::run<traits>(
    st, replace{"Phone 2", "Newer", 29'999, "EUR", "Phones", R"({"color":"white"})"},
    ctx(2'000, "SKU-1"));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<replaced>(evs[0]) ==
        replaced{"SKU-1", "Phone 2", "Newer", 29'999, "EUR", "Phones", R"({"color":"white"})",
                 2'000});
  CHECK(st.sku == "SKU-1");
  CHECK(st.name == "Phone 2");
  CHECK(st.description == "Newer");
  CHECK(st.price_cents == 29'999);
  CHECK(st.currency == "EUR");
  CHECK(st.category == "Phones");
  CHECK(st.attributes_json == R"({"color":"white"})");
  CHECK(st.version == 2);
  CHECK(st.created_at == 1'000);
  CHECK(st.updated_at == 2'000);
}

TEST_CASE("replacing validates and needs a live product", "[product]") {
  replace good{"Phone 2", "", 1, "EUR", "Phones", "{}"};
  state absent;
  auto p = test::reject<traits>(absent, good, ctx(2, "SKU-9"));
  CHECK(p.code == errc::not_found);
  CHECK(test::details(p).at("sku") == "SKU-9");

  auto st = created_product();
  auto bad = good;
  bad.currency = "eur";
  test::check_invalid_field(test::reject<traits>(st, bad, ctx(2, "SKU-1")), "currency");
  bad = good;
  bad.attributes_json = "[1]";
  test::check_invalid_field(test::reject<traits>(st, bad, ctx(2, "SKU-1")), "attributes");

  test::run<traits>(st, retire{}, ctx(3, "SKU-1"));
  CHECK(test::reject<traits>(st, good, ctx(4, "SKU-1")).code == errc::not_found);
}

TEST_CASE("patching records only the fields that change", "[product]") {
  auto st = created_product();
  patch cmd;
  cmd.name = "Phone"; // unchanged
  cmd.price_cents = 17'999;
  cmd.attributes_json = R"({ "color" : "black" , "storage_gb" : 128 })"; // same, spaced
  auto evs = test::run<traits>(st, cmd, ctx(3'000, "SKU-1"));
  REQUIRE(evs.size() == 1);
  patched expected;
  expected.price_cents = 17'999;
  expected.at = 3'000;
  CHECK(std::get<patched>(evs[0]) == expected);
  CHECK(st.price_cents == 17'999);
  CHECK(st.name == "Phone");
  CHECK(st.version == 2);
  CHECK(st.updated_at == 3'000);

  patch all;
  all.name = "N";
  all.description = "D";
  all.price_cents = 1;
  all.currency = "GBP";
  all.category = "C";
  all.attributes_json = R"({"k":[1,2]})";
  test::run<traits>(st, all, ctx(4'000, "SKU-1"));
  CHECK(st.name == "N");
  CHECK(st.description == "D");
  CHECK(st.price_cents == 1);
  CHECK(st.currency == "GBP");
  CHECK(st.category == "C");
  CHECK(st.attributes_json == R"({"k":[1,2]})");
}

TEST_CASE("a patch that changes nothing decides no events", "[product]") {
  auto st = created_product();
  CHECK(test::run<traits>(st, patch{}, ctx(2, "SKU-1")).empty());
  patch same;
  same.name = st.name;
  same.currency = st.currency;
  same.price_cents = st.price_cents;
  CHECK(test::run<traits>(st, same, ctx(2, "SKU-1")).empty());
  CHECK(st.version == 1);
}

TEST_CASE("patching validates the given fields and needs a live product", "[product]") {
  auto st = created_product();
  patch bad;
  bad.name = std::string(201, 'x');
  test::check_invalid_field(test::reject<traits>(st, bad, ctx(2, "SKU-1")), "name");
  bad = patch{};
  bad.description = std::string(5001, 'x');
  test::check_invalid_field(test::reject<traits>(st, bad, ctx(2, "SKU-1")), "description");
  bad = patch{};
  bad.price_cents = -5;
  test::check_invalid_field(test::reject<traits>(st, bad, ctx(2, "SKU-1")), "price_cents");
  bad = patch{};
  bad.currency = "dollars";
  test::check_invalid_field(test::reject<traits>(st, bad, ctx(2, "SKU-1")), "currency");
  bad = patch{};
  bad.category = "";
  test::check_invalid_field(test::reject<traits>(st, bad, ctx(2, "SKU-1")), "category");
  bad = patch{};
  bad.attributes_json = "null";
  test::check_invalid_field(test::reject<traits>(st, bad, ctx(2, "SKU-1")), "attributes");

  patch good;
  good.price_cents = 5;
  CHECK(test::reject<traits>(state{}, good, ctx(2, "SKU-1")).code == errc::not_found);
  test::run<traits>(st, retire{}, ctx(3, "SKU-1"));
  CHECK(test::reject<traits>(st, good, ctx(4, "SKU-1")).code == errc::not_found);
}

TEST_CASE("retiring a product keeps its SKU and hides it", "[product]") {
  auto st = created_product();
  auto evs = test::run<traits>(st, retire{}, ctx(5'000, "SKU-1"));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<retired>(evs[0]) == retired{5'000});
  CHECK(st.exists);
  CHECK(st.retired);
  CHECK(st.updated_at == 5'000);
  CHECK(st.version == 2);

  auto again = test::reject<traits>(st, retire{}, ctx(6'000, "SKU-1"));
  CHECK(again.code == errc::not_found);
  CHECK(test::reject<traits>(state{}, retire{}, ctx(6'000, "SKU-2")).code == errc::not_found);
}

TEST_CASE("reading a product decides nothing and never fails", "[product]") {
  state absent;
  CHECK(test::run<traits>(absent, get{}, ctx(1, "SKU-1")).empty());
  CHECK_FALSE(absent.exists);
  auto st = created_product();
  CHECK(test::run<traits>(st, get{}, ctx(2, "SKU-1")).empty());
  test::run<traits>(st, retire{}, ctx(3, "SKU-1"));
  CHECK(test::run<traits>(st, get{}, ctx(4, "SKU-1")).empty());
  CHECK(st.version == 2);
}

TEST_CASE("validation helpers", "[product]") {
  CHECK(text_length("") == 0);
  CHECK(text_length("abc") == 3);
  CHECK(text_length("é€😀") == 3);
  CHECK(valid_currency("USD"));
  CHECK_FALSE(valid_currency("UsD"));
  CHECK_FALSE(valid_currency("US"));
  CHECK(canonical_json_object(R"( { "a" : 1 } )") == std::optional<std::string>{R"({"a":1})"});
  CHECK_FALSE(canonical_json_object("[]"));
  CHECK_FALSE(canonical_json_object(""));
}
