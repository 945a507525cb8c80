// The cart resource's body parsers (net/api/cart_bodies.hpp): what they
// accept, and the field each rejection names (the 400 the handler sends).
#include <catch2/catch.hpp>

#include "net/api/cart_bodies.hpp"
#include "net/api/render.hpp"

#include "actors/common/json.hpp"

using namespace agora;
using namespace agora::net::api;

namespace {

/// The field a rejection names in its details.
std::string field_of(const problem& p) {
  REQUIRE(p.code == errc::invalid_request);
  auto d = parse_json(p.details);
  REQUIRE(d);
  auto* f = d->as_object().if_contains("field");
  return f && f->is_string() ? std::string(f->as_string()) : std::string{};
}

const std::string good_address =
  R"({"name":"Ada","line1":"1 Main St","city":"Berlin","postal_code":"10115","country":"DE"})";

std::string checkout_text(const std::string& address, const std::string& payment) {
  return R"({"shipping_address":)" + address + R"(,"payment":)" + payment + "}";
}

} // namespace

TEST_CASE("add-item bodies: sku and quantity within range", "[net][cart_bodies]") {
  auto ok = parse_add_item_body(R"({"sku":"A-1.b_2","quantity":3})");
  REQUIRE(ok);
  CHECK(ok->sku == "A-1.b_2");
  CHECK(ok->quantity == 3);
  CHECK(parse_add_item_body(R"({"sku":"X","quantity":10000})"));

  struct row {
    const char* body;
    const char* field; // "" = the body itself (malformed, not an object)
  };
  const row bad[] = {
    {"", "sku"}, // an empty body is an empty object: sku is missing
    {"{", ""},
    {"[1]", ""},
    {R"({"quantity":1})", "sku"},
    {R"({"sku":"","quantity":1})", "sku"},
    {R"({"sku":"a b","quantity":1})", "sku"},
    {R"({"sku":"ü","quantity":1})", "sku"},
    {R"({"sku":7,"quantity":1})", "sku"},
    {R"({"sku":"A","quantity":0})", "quantity"},
    {R"({"sku":"A","quantity":10001})", "quantity"},
    {R"({"sku":"A","quantity":"2"})", "quantity"},
    {R"({"sku":"A"})", "quantity"},
    // The first problem wins: sku is checked before quantity.
    {R"({"sku":"a b","quantity":0})", "sku"},
  };
  for (const auto& r : bad) {
    INFO(r.body);
    auto parsed = parse_add_item_body(r.body);
    REQUIRE_FALSE(parsed);
    if (*r.field)
      CHECK(field_of(parsed.error()) == r.field);
    else
      CHECK(parsed.error().code == errc::invalid_request);
  }
  CHECK(parse_add_item_body(R"({"sku":")" + std::string(64, 'A') + R"(","quantity":1})"));
  auto long_sku = parse_add_item_body(R"({"sku":")" + std::string(65, 'A') + R"(","quantity":1})");
  REQUIRE_FALSE(long_sku);
  CHECK(field_of(long_sku.error()) == "sku");
}

TEST_CASE("checkout bodies: a canonical address and the card token", "[net][cart_bodies]") {
  auto ok = checkout_body(checkout_text(good_address, R"({"method":"card","token":"tok_ok"})"));
  REQUIRE(ok);
  CHECK(ok->second == "tok_ok");
  auto address = parse_json(ok->first);
  REQUIRE(address);
  CHECK(address->as_object().size() == 5);
  CHECK(address->as_object().at("city").as_string() == "Berlin");

  // Optional fields are kept; unknown ones are dropped from the canonical text.
  auto full = checkout_body(checkout_text(
    R"({"name":"Ada","line1":"1 Main St","line2":"Hof","city":"Berlin","postal_code":"10115",)"
    R"("country":"DE","lat":52.5,"lon":13.4,"note":"ignored"})",
    R"({"method":"card","token":"tok_ok"})"));
  REQUIRE(full);
  auto a = parse_json(full->first);
  REQUIRE(a);
  CHECK(a->as_object().at("line2").as_string() == "Hof");
  CHECK(a->as_object().at("lat").as_double() == 52.5);
  CHECK(a->as_object().at("lon").as_double() == 13.4);
  CHECK_FALSE(a->as_object().contains("note"));
}

TEST_CASE("checkout bodies: each rejection names its field", "[net][cart_bodies]") {
  const std::string card = R"({"method":"card","token":"tok_ok"})";
  auto with_address = [&](const std::string& extra) {
    return checkout_text(good_address.substr(0, good_address.size() - 1) + "," + extra + "}",
                         card);
  };
  struct row {
    std::string body;
    const char* field;
  };
  const row bad[] = {
    {R"({"payment":)" + card + "}", "shipping_address"},
    {checkout_text(R"("Main St 1")", card), "shipping_address"},
    {checkout_text(R"({"name":"Ada","line1":"x","city":"B","postal_code":"1"})", card),
     "shipping_address.country"},
    {checkout_text(R"({"name":"","line1":"x","city":"B","postal_code":"1","country":"DE"})",
                   card),
     "shipping_address.name"},
    {with_address(R"("line2":5)"), "shipping_address.line2"},
    {with_address(R"("lat":52.5)"), "shipping_address.lon"},
    {with_address(R"("lon":13.4)"), "shipping_address.lat"},
    {with_address(R"("lat":91,"lon":0)"), "shipping_address.lat"},
    {with_address(R"("lat":0,"lon":-181)"), "shipping_address.lon"},
    {checkout_text(R"({"name":")" + std::string(201, 'n') +
                     R"(","line1":"x","city":"B","postal_code":"1","country":"DE"})",
                   card),
     "shipping_address.name"},
    {R"({"shipping_address":)" + good_address + "}", "payment"},
    {checkout_text(good_address, R"({"method":"cash","token":"t"})"), "payment.method"},
    {checkout_text(good_address, R"({"method":"card"})"), "payment.token"},
    {checkout_text(good_address, R"({"method":"card","token":""})"), "payment.token"},
  };
  for (const auto& r : bad) {
    INFO(r.body);
    auto parsed = checkout_body(r.body);
    REQUIRE_FALSE(parsed);
    CHECK(field_of(parsed.error()) == r.field);
  }
  for (auto text : {"{", "[]", "null"}) {
    INFO(text);
    auto parsed = checkout_body(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == errc::invalid_request);
  }
}

TEST_CASE("render_cart writes the cart body of the contract, line by line from the products",
          "[net][cart]") {
  cart::state st;
  st.exists = true;
  st.currency = "USD";
  st.version = 4;
  st.updated_at = 1'764'000'000'123'456;
  st.lines = {{"MUG-1", 2}, {"GONE-9", 1}, {"TEE-\"3\"", 3}};
  // The second SKU was never created: no name, no price.
  catalogue::product_refs products{
    std::make_shared<const catalogue::product_info>(
      catalogue::product_info{"MUG-1", "Mug", 1'250, "USD", true}),
    nullptr,
    std::make_shared<const catalogue::product_info>(
      catalogue::product_info{"TEE-\"3\"", "Tee \"vintage\"\n", 999, "USD", true})};
  auto text = render_cart("c-1", st, products);
  auto parsed = parse_json(text);
  REQUIRE(parsed);
  auto line = [](const char* sku, const char* name, int64_t qty, int64_t unit) {
    return json::object{{"sku", sku},
                        {"name", name},
                        {"quantity", qty},
                        {"unit_price_cents", unit},
                        {"line_total_cents", qty * unit}};
  };
  json::object expected{{"cart_id", "c-1"},
                        {"customer_id", nullptr},
                        {"status", "open"},
                        {"items", json::array{line("MUG-1", "Mug", 2, 1'250),
                                              line("GONE-9", "", 1, 0),
                                              line("TEE-\"3\"", "Tee \"vintage\"\n", 3, 999)}},
                        {"subtotal_cents", 2 * 1'250 + 3 * 999},
                        {"currency", "USD"},
                        {"version", 4},
                        {"updated_at", "2025-11-24T16:00:00.123Z"}};
  CHECK(*parsed == json::value(expected));

  st.customer_id = "cust-1";
  st.lines.clear();
  parsed = parse_json(render_cart("c-1", st, {}));
  REQUIRE(parsed);
  CHECK(parsed->at("customer_id") == "cust-1");
  CHECK(parsed->at("items").as_array().empty());
  CHECK(parsed->at("subtotal_cents") == 0);
}
