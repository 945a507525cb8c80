// Checks the demo catalogue's data: deterministic, large and varied enough
// for search demos, every product valid for POST /api/v1/products.
#include "tools/agora-node/demo_catalogue.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <boost/json.hpp>

#include <catch2/catch.hpp>

using agora::demo::demo_catalogue;
using agora::demo::demo_categories;

namespace {

/// API.md: SKUs are `[A-Za-z0-9._-]{1,64}`. (Written out rather than with
/// std::regex, whose libstdc++ code draws false -Wmaybe-uninitialized
/// warnings in the sanitizer build.)
bool valid_sku(const std::string& sku) {
  return !sku.empty() && sku.size() <= 64
         && std::all_of(sku.begin(), sku.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                     || c == '.' || c == '_' || c == '-';
            });
}

} // namespace

TEST_CASE("the demo catalogue is the same on every call", "[demo]") {
  auto a = demo_catalogue();
  auto b = demo_catalogue();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].sku);
    CHECK(a[i].sku == b[i].sku);
    CHECK(a[i].description == b[i].description);
    CHECK(a[i].attributes_json == b[i].attributes_json);
    CHECK(a[i].initial_stock == b[i].initial_stock);
  }
}

TEST_CASE("the demo catalogue has at least 240 products in at least 8 categories", "[demo]") {
  auto products = demo_catalogue();
  CHECK(products.size() >= 240);
  std::map<std::string, int> per_category;
  for (const auto& p : products)
    ++per_category[p.category];
  CHECK(per_category.size() >= 8);
  for (const auto& [name, count] : per_category) {
    INFO(name);
    CHECK(count >= 20);
  }
  auto listed = demo_categories();
  CHECK(std::set<std::string>(listed.begin(), listed.end()).size() == per_category.size());
  for (const auto& name : listed)
    CHECK(per_category.count(name) == 1);
  for (const auto& expected : {"Electronics", "Books", "Home & Kitchen", "Sports", "Toys",
                               "Clothing", "Beauty", "Garden"})
    CHECK(per_category.count(expected) == 1);
}

TEST_CASE("every demo product is valid for the products API", "[demo]") {
  std::set<std::string> skus;
  std::set<std::string> names;
  for (const auto& p : demo_catalogue()) {
    INFO(p.sku << " " << p.name);
    CHECK(valid_sku(p.sku));
    CHECK(skus.insert(p.sku).second);
    CHECK(names.insert(p.name).second);
    CHECK(p.sku != "suggest"); // reserved by the API
    CHECK_FALSE(p.name.empty());
    CHECK(p.description.size() > p.name.size() / 2);
    CHECK(p.price_cents > 0);
    CHECK(p.price_cents < 200000);
    CHECK(p.currency == "USD");
    CHECK(p.initial_stock >= 0);
    CHECK(p.initial_stock <= 500);
    auto attributes = boost::json::parse(p.attributes_json);
    REQUIRE(attributes.is_object());
    CHECK(attributes.as_object().size() >= 2);
    CHECK((attributes.as_object().contains("brand") || attributes.as_object().contains("author")));
    for (const auto& kv : attributes.as_object())
      CHECK(kv.value().is_string());
  }
}

TEST_CASE("some demo products start sold out and some nearly so", "[demo]") {
  int sold_out = 0;
  int nearly = 0;
  int stocked = 0;
  for (const auto& p : demo_catalogue()) {
    if (p.initial_stock == 0)
      ++sold_out;
    else if (p.initial_stock <= 3)
      ++nearly;
    else if (p.initial_stock >= 50)
      ++stocked;
  }
  CHECK(sold_out >= 3);
  CHECK(sold_out <= 10);
  CHECK(nearly >= 3);
  CHECK(nearly <= 10);
  CHECK(stocked >= 200);
}

TEST_CASE("demo names make prefix suggestions meaningful", "[demo]") {
  auto products = demo_catalogue();
  auto has = [&](const std::string& name) {
    return std::any_of(products.begin(), products.end(),
                       [&](const auto& p) { return p.name == name; });
  };
  CHECK(has("iPhone 15 Pro"));
  CHECK(has("Stainless Steel Chef Knife 8\""));
  // Several products share a word prefix, so suggestions return more than one.
  auto starting = [&](const std::string& prefix) {
    return std::count_if(products.begin(), products.end(), [&](const auto& p) {
      return p.name.rfind(prefix, 0) == 0;
    });
  };
  CHECK(starting("iPhone") >= 2);
  CHECK(starting("LEGO") >= 2);
}
