// The JSON codecs of the four entities: every event type and every snapshot
// round-trips exactly, the payload field names are the ones the read models
// read, and garbage decodes to nullopt instead of throwing.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "actors/cart/cart.hpp"
#include "actors/customer/customer.hpp"
#include "actors/inventory/inventory.hpp"
#include "actors/product/product.hpp"
#include "tests/unit/entity_test_support.hpp"

using namespace agora;
using test::ctx;
using keys = std::set<std::string>;

namespace {

/// Text that needs escaping in JSON, and non-ASCII.
const std::string tricky = "Quote \" backslash \\ newline \n tab \t ünïcødé 😀 </script>";

/// Runs commands through decide and collects the events they produce.
template <class Traits>
std::vector<typename Traits::event>
history_of(std::initializer_list<typename Traits::command> cmds, std::string id) {
  typename Traits::state st;
  std::vector<typename Traits::event> out;
  timestamp_us now = 1'700'000'000'000'000; // a realistic µs timestamp
  for (const auto& cmd : cmds) {
    auto evs = test::run<Traits>(st, cmd, ctx(now += 1'234, id));
    out.insert(out.end(), evs.begin(), evs.end());
  }
  return out;
}

} // namespace

// -- product ------------------------------------------------------------------

TEST_CASE("product events and snapshots round-trip", "[codec][product]") {
  using namespace agora::product;
  patch price;
  price.price_cents = max_price_cents;
  patch all;
  all.name = tricky;
  all.description = "";
  all.price_cents = 0;
  all.currency = "JPY";
  all.category = "Ünï";
  all.attributes_json = R"({"nested":{"a":[1,2.5,"x",null,true]},"big":18446744073709551615})";
  auto history = history_of<product_traits>(
    {create{"SKU-1", tricky, tricky, 1'999, "USD", "Cat", R"({"color":"red"})"},
     replace{"Name", "Desc", 2'999, "EUR", "Other", "{}"}, price, all, retire{}},
    "SKU-1");
  REQUIRE(history.size() == 5);
  auto st = test::check_history<product_traits>(history);
  CHECK(st.retired);
  CHECK(st.name == tricky);
}

TEST_CASE("product payloads have exactly the contracted fields", "[codec][product]") {
  using namespace agora::product;
  using T = product_traits;
  const keys full{"sku", "name", "description", "price_cents", "currency", "category",
                  "attributes", "at"};
  created c{"SKU-1", "N", "D", 100, "USD", "C", R"({"k":"v"})", 42};
  CHECK(T::event_type(c) == "product.created");
  CHECK(test::keys_of(T::encode_event(c)) == full);
  CHECK(T::event_type(replaced{}) == "product.replaced");
  CHECK(test::keys_of(T::encode_event(replaced{"SKU-1", "N", "D", 1, "USD", "C", "{}", 1})) ==
        full);

  // Attributes are a JSON object in the payload, not a string; numbers are numbers.
  auto v = parse_json(T::encode_event(c));
  REQUIRE(v);
  const auto& o = v->get_object();
  REQUIRE(o.at("attributes").is_object());
  CHECK(o.at("attributes").get_object().at("k") == "v");
  CHECK(o.at("price_cents") == 100);
  CHECK(o.at("at") == 42);
  CHECK(o.at("sku") == "SKU-1");

  patched p;
  p.price_cents = 5;
  p.attributes_json = "{}";
  p.at = 7;
  CHECK(T::event_type(p) == "product.patched");
  CHECK(test::keys_of(T::encode_event(p)) == keys{"price_cents", "attributes", "at"});
  patched every{"n", "d", 1, "USD", "c", "{}", 2};
  CHECK(test::keys_of(T::encode_event(every)) ==
        keys{"name", "description", "price_cents", "currency", "category", "attributes", "at"});
  CHECK(T::event_type(retired{3}) == "product.retired");
  CHECK(T::encode_event(retired{3}) == R"({"at":3})");
}

TEST_CASE("product decoding rejects garbage", "[codec][product]") {
  using T = agora::product::product_traits;
  auto good = T::encode_event(agora::product::created{"S", "N", "D", 1, "USD", "C", "{}", 1});
  REQUIRE(T::decode_event("product.created", good));
  CHECK_FALSE(T::decode_event("product.unknown", good));
  CHECK_FALSE(T::decode_event("cart.created", good));
  CHECK_FALSE(T::decode_event("product.created", ""));
  CHECK_FALSE(T::decode_event("product.created", "{"));
  CHECK_FALSE(T::decode_event("product.created", "[]"));
  CHECK_FALSE(T::decode_event("product.created", "\xff\xfe"));
  CHECK_FALSE(T::decode_event("product.created", R"({"sku":"S"})"));
  // attributes must be an object, price an integer
  CHECK_FALSE(T::decode_event("product.created",
                              R"({"sku":"S","name":"N","description":"D","price_cents":1,)"
                              R"("currency":"USD","category":"C","attributes":"{}","at":1})"));
  CHECK_FALSE(T::decode_event("product.created",
                              R"({"sku":"S","name":"N","description":"D","price_cents":1.5,)"
                              R"("currency":"USD","category":"C","attributes":{},"at":1})"));
  CHECK_FALSE(T::decode_event("product.patched", R"({"name":"x"})"));       // no at
  CHECK_FALSE(T::decode_event("product.patched", R"({"name":5,"at":1})"));  // wrong type
  CHECK_FALSE(T::decode_event("product.patched", R"({"attributes":[],"at":1})"));
  CHECK_FALSE(T::decode_event("product.retired", R"({"at":"yesterday"})"));
  CHECK_FALSE(T::decode_state(""));
  CHECK_FALSE(T::decode_state("{}"));
  CHECK_FALSE(T::decode_state("null"));
  auto snapshot = T::encode_state(agora::product::state{});
  REQUIRE(T::decode_state(snapshot));
  CHECK_FALSE(T::decode_state(snapshot.substr(0, snapshot.size() - 1)));
}

// -- inventory ----------------------------------------------------------------

TEST_CASE("inventory events and snapshots round-trip", "[codec][inventory]") {
  using namespace agora::inventory;
  auto history = history_of<inventory_traits>(
    {adjust{100, tricky, {}}, reserve{"r1", 5, 1'700'000'000'100'000},
     reserve{"r2", 7, 1'700'000'000'100'000}, reserve{"r3", 1, 1'700'000'000'120'000},
     release{"r1"}, commit{"r2"}, expire{1'700'000'000'150'000},
     adjust{-10, "shrinkage", {}}, reserve{"r4", 2, 1'700'000'009'000'000}},
    "SKU-1");
  REQUIRE(history.size() == 9);
  auto st = test::check_history<inventory_traits>(history);
  CHECK(st.on_hand == 83);
  CHECK(st.reserved == 2);
  CHECK(st.finished.oldest_first() == std::deque<std::string>{"r1", "r2", "r3"});
  CHECK(st.committed.oldest_first() == std::deque<std::string>{"r2"});
  auto snapshot = parse_json(inventory_traits::encode_state(st));
  REQUIRE(snapshot);
  CHECK(snapshot->get_object().at("committed") == json::array{"r2"});
}

TEST_CASE("inventory payloads have exactly the contracted fields", "[codec][inventory]") {
  using namespace agora::inventory;
  using T = inventory_traits;
  adjusted a{-3, "damaged", 7, 11, {}};
  CHECK(T::event_type(a) == "inventory.adjusted");
  CHECK(test::keys_of(T::encode_event(a)) == keys{"delta", "reason", "on_hand", "at"});
  auto v = parse_json(T::encode_event(a));
  REQUIRE(v);
  CHECK(v->get_object().at("delta") == -3);
  CHECK(v->get_object().at("on_hand") == 7);

  reserved r{"r1", 2, 99, 11};
  CHECK(T::event_type(r) == "inventory.reserved");
  CHECK(test::keys_of(T::encode_event(r)) ==
        keys{"reservation_id", "quantity", "expires_at", "at"});

  const keys finish{"reservation_id", "quantity", "at"};
  CHECK(T::event_type(released{"r1", 2, 11}) == "inventory.released");
  CHECK(test::keys_of(T::encode_event(released{"r1", 2, 11})) == finish);
  CHECK(T::event_type(committed{"r1", 2, 11}) == "inventory.committed");
  CHECK(test::keys_of(T::encode_event(committed{"r1", 2, 11})) == finish);
  CHECK(T::event_type(expired{"r1", 2, 11}) == "inventory.expired");
  CHECK(test::keys_of(T::encode_event(expired{"r1", 2, 11})) == finish);
  CHECK(T::encode_event(expired{"r1", 2, 11}) ==
        R"({"reservation_id":"r1","quantity":2,"at":11})");
}

TEST_CASE("inventory decoding rejects garbage and corrupt snapshots", "[codec][inventory]") {
  using namespace agora::inventory;
  using T = inventory_traits;
  CHECK_FALSE(T::decode_event("inventory.adjusted", R"({"delta":1,"on_hand":1,"at":1})"));
  CHECK_FALSE(T::decode_event("inventory.reserved", R"({"reservation_id":1,"quantity":1,)"
                                                    R"("expires_at":1,"at":1})"));
  CHECK_FALSE(T::decode_event("inventory.released", "not json"));
  CHECK_FALSE(T::decode_event("inventory.restocked", R"({"delta":1})"));
  CHECK_FALSE(T::decode_event("", ""));
  CHECK(T::decode_event("inventory.committed", R"({"reservation_id":"r","quantity":1,"at":1})"));

  CHECK_FALSE(T::decode_state("[1,2,3]"));
  auto ok = R"({"on_hand":5,"reserved":2,"reservations":[{"id":"a","quantity":2,"expires_at":9}],)"
            R"("finished":["b"],"version":3,"updated_at":4})";
  auto st = T::decode_state(ok);
  REQUIRE(st);
  CHECK(st->reservations.at("a") == reservation{2, 9});
  CHECK(st->finished.contains("b"));
  // Snapshots from before the committed set have none.
  CHECK(st->committed.size() == 0);
  auto with_committed = R"({"on_hand":5,"reserved":0,"reservations":[],"finished":["b","c"],)"
                        R"("committed":["c"],"version":3,"updated_at":4})";
  st = T::decode_state(with_committed);
  REQUIRE(st);
  CHECK(st->committed.contains("c"));
  CHECK_FALSE(st->committed.contains("b"));
  CHECK(T::encode_state(*st) == with_committed);
  for (std::string_view bad : {R"("c")", R"(["c","c"])", R"([""])", R"([7])", "null"}) {
    INFO("committed " << bad);
    std::string text = R"({"on_hand":5,"reserved":0,"reservations":[],"finished":["c"],)"
                       R"("committed":)";
    text += bad;
    text += R"(,"version":3,"updated_at":4})";
    CHECK_FALSE(T::decode_state(text));
  }
  // reserved must equal the sum of the reservations and stay <= on_hand
  CHECK_FALSE(T::decode_state(
    R"({"on_hand":5,"reserved":3,"reservations":[{"id":"a","quantity":2,"expires_at":9}],)"
    R"("finished":[],"version":3,"updated_at":4})"));
  CHECK_FALSE(T::decode_state(
    R"({"on_hand":1,"reserved":2,"reservations":[{"id":"a","quantity":2,"expires_at":9}],)"
    R"("finished":[],"version":3,"updated_at":4})"));
  CHECK_FALSE(T::decode_state(R"({"on_hand":5,"reserved":0,"reservations":[],)"
                              R"("finished":["b","b"],"version":3,"updated_at":4})"));
  CHECK_FALSE(T::decode_state(R"({"on_hand":5,"reserved":0,"reservations":{},)"
                              R"("finished":[],"version":3,"updated_at":4})"));
}

// -- cart ---------------------------------------------------------------------

TEST_CASE("cart events and snapshots round-trip", "[codec][cart]") {
  using namespace agora::cart;
  auto guest = history_of<cart_traits>(
    {create{}, add_item{"A", 2, 10, "USD"}, add_item{"B", 1, 10, "USD"},
     set_quantity{"A", 5, 10, "USD"}, remove_item{"B"}, set_quantity{"C", 3, 10, "USD"},
     set_quantity{"A", 0, 10, "USD"}},
    "cart-1");
  REQUIRE(guest.size() == 8);
  test::check_history<cart_traits>(guest);

  auto bound = history_of<cart_traits>({create{"cust-1", "EUR"}, add_item{"A", 1, 5, "EUR"}},
                                       "cart-2");
  auto st = test::check_history<cart_traits>(bound);
  CHECK(st.customer_id == std::optional<std::string>{"cust-1"});

  // Statuses only the saga reaches survive a snapshot too.
  st.status = cart_status::checking_out;
  test::check_state_round_trip<cart_traits>(st);
  st.status = cart_status::checked_out;
  test::check_state_round_trip<cart_traits>(st);

  // The checkout transitions: a guest cart bound by its first checkout,
  // aborted, begun by another checkout and checked out by it.
  auto checkout = history_of<cart_traits>(
    {create{}, add_item{"A", 1, 5, "USD"}, begin_checkout{"chk-1", tricky},
     abort_checkout{"chk-1"}, begin_checkout{"chk-2", "cust-9"}, complete_checkout{"chk-2"}},
    "cart-3");
  REQUIRE(checkout.size() == 7);
  CHECK(std::get<checkout_started>(checkout[3]).customer_id == std::optional<std::string>{tricky});
  CHECK_FALSE(std::get<checkout_started>(checkout[5]).customer_id.has_value());
  st = test::check_history<cart_traits>(checkout);
  CHECK(st.status == cart_status::checked_out);
  CHECK(st.checkout_id == "chk-2");
  CHECK(st.customer_id == std::optional<std::string>{tricky});
}

TEST_CASE("cart payloads have their documented fields", "[codec][cart]") {
  using namespace agora::cart;
  using T = cart_traits;
  CHECK(T::event_type(created{}) == "cart.created");
  CHECK(T::encode_event(created{std::nullopt, "", 5}) ==
        R"({"customer_id":null,"currency":"","at":5})");
  CHECK(T::encode_event(created{"c-1", "USD", 5}) ==
        R"({"customer_id":"c-1","currency":"USD","at":5})");
  CHECK(T::event_type(currency_set{}) == "cart.currency_set");
  CHECK(test::keys_of(T::encode_event(currency_set{"USD", 1})) == keys{"currency", "at"});
  CHECK(T::event_type(item_added{}) == "cart.item_added");
  CHECK(test::keys_of(T::encode_event(item_added{"A", 1, 3, 1})) ==
        keys{"sku", "quantity", "line_quantity", "at"});
  CHECK(T::event_type(quantity_set{}) == "cart.quantity_set");
  CHECK(test::keys_of(T::encode_event(quantity_set{"A", 2, 1})) == keys{"sku", "quantity", "at"});
  CHECK(T::event_type(item_removed{}) == "cart.item_removed");
  CHECK(test::keys_of(T::encode_event(item_removed{"A", 1})) == keys{"sku", "at"});
  CHECK(T::event_type(checkout_started{}) == "cart.checkout_started");
  CHECK(T::encode_event(checkout_started{"chk-1", std::nullopt, 5}) ==
        R"({"checkout_id":"chk-1","customer_id":null,"at":5})");
  CHECK(T::encode_event(checkout_started{"chk-1", "c-1", 5}) ==
        R"({"checkout_id":"chk-1","customer_id":"c-1","at":5})");
  CHECK(T::event_type(checkout_aborted{}) == "cart.checkout_aborted");
  CHECK(T::encode_event(checkout_aborted{"chk-1", 6}) == R"({"checkout_id":"chk-1","at":6})");
  CHECK(T::event_type(checked_out{}) == "cart.checked_out");
  CHECK(T::encode_event(checked_out{"chk-1", 7}) == R"({"checkout_id":"chk-1","at":7})");

  // The snapshot names the holding checkout only while there is one.
  state st;
  st.exists = true;
  CHECK(test::keys_of(T::encode_state(st)).count("checkout_id") == 0);
  st.status = cart_status::checking_out;
  st.checkout_id = "chk-1";
  auto v = parse_json(T::encode_state(st));
  REQUIRE(v);
  CHECK(v->get_object().at("checkout_id") == "chk-1");
}

TEST_CASE("cart decoding rejects garbage", "[codec][cart]") {
  using namespace agora::cart;
  using T = cart_traits;
  CHECK_FALSE(T::decode_event("cart.created", R"({"currency":"","at":5})")); // no customer_id
  CHECK_FALSE(T::decode_event("cart.created", R"({"customer_id":7,"currency":"","at":5})"));
  CHECK_FALSE(T::decode_event("cart.item_added", R"({"sku":"A","quantity":1,"at":1})"));
  CHECK_FALSE(T::decode_event("cart.checked_out", R"({"at":1})"));
  CHECK_FALSE(T::decode_event("cart.checked_out", R"({"checkout_id":"c"})"));
  CHECK_FALSE(T::decode_event("cart.checked_out", R"({"checkout_id":1,"at":1})"));
  CHECK(T::decode_event("cart.checked_out", R"({"checkout_id":"c","at":1})"));
  CHECK_FALSE(T::decode_event("cart.checkout_aborted", R"({"at":1})"));
  CHECK(T::decode_event("cart.checkout_aborted", R"({"checkout_id":"c","at":1})"));
  CHECK_FALSE(T::decode_event("cart.checkout_started", R"({"checkout_id":"c","at":1})"));
  CHECK_FALSE(
    T::decode_event("cart.checkout_started", R"({"checkout_id":"c","customer_id":5,"at":1})"));
  CHECK_FALSE(
    T::decode_event("cart.checkout_started", R"({"customer_id":null,"at":1})"));
  CHECK_FALSE(T::decode_event("cart.checkout_started",
                              R"({"checkout_id":"c","customer_id":null,"at":"1"})"));
  CHECK(T::decode_event("cart.checkout_started",
                        R"({"checkout_id":"c","customer_id":null,"at":1})"));
  CHECK_FALSE(T::decode_event("cart.item_removed", "  "));
  CHECK_FALSE(T::decode_state(
    R"({"exists":true,"customer_id":null,"status":"lost","lines":[],"currency":"",)"
    R"("version":1,"created_at":1,"updated_at":1})"));
  CHECK_FALSE(T::decode_state(
    R"({"exists":true,"customer_id":null,"status":"open",)"
    R"("lines":[{"sku":"A","quantity":1},{"sku":"A","quantity":2}],"currency":"",)"
    R"("version":1,"created_at":1,"updated_at":1})"));
  CHECK(T::decode_state(R"({"exists":true,"customer_id":null,"status":"open",)"
                        R"("lines":[{"sku":"A","quantity":1}],"currency":"USD",)"
                        R"("version":3,"created_at":1,"updated_at":1})"));
  // checkout_id: absent (older snapshots, or no holder) or a string.
  auto held = T::decode_state(R"({"exists":true,"customer_id":null,"status":"checking_out",)"
                              R"("lines":[{"sku":"A","quantity":1}],"currency":"USD",)"
                              R"("checkout_id":"chk-1","version":4,"created_at":1,)"
                              R"("updated_at":1})");
  REQUIRE(held);
  CHECK(held->checkout_id == "chk-1");
  CHECK_FALSE(T::decode_state(R"({"exists":true,"customer_id":null,"status":"checking_out",)"
                              R"("lines":[],"currency":"USD","checkout_id":7,"version":4,)"
                              R"("created_at":1,"updated_at":1})"));
  CHECK_FALSE(T::decode_state(R"({"exists":true,"customer_id":null,"status":"checking_out",)"
                              R"("lines":[],"currency":"USD","checkout_id":null,"version":4,)"
                              R"("created_at":1,"updated_at":1})"));
}

// -- customer -----------------------------------------------------------------

TEST_CASE("customer events and snapshots round-trip", "[codec][customer]") {
  using namespace agora::customer;
  auto history = history_of<customer_traits>(
    {register_customer{"cust-1", "alice@example.com", tricky, "$2b$10$hash", "admin"}},
    "alice@example.com");
  REQUIRE(history.size() == 1);
  auto st = test::check_history<customer_traits>(history);
  CHECK(st.role == "admin");
}

TEST_CASE("customer payloads have their documented fields", "[codec][customer]") {
  using namespace agora::customer;
  using T = customer_traits;
  registered r{"c", "e@x.io", "N", "$2b$", "customer", 9};
  CHECK(T::event_type(r) == "customer.registered");
  CHECK(test::keys_of(T::encode_event(r)) ==
        keys{"customer_id", "email", "name", "password_hash", "role", "at"});
  CHECK_FALSE(T::decode_event("customer.deleted", T::encode_event(r)));
  CHECK_FALSE(T::decode_event("customer.registered", R"({"customer_id":"c"})"));
  CHECK_FALSE(T::decode_event("customer.registered", "\"text\""));
  CHECK_FALSE(T::decode_state("{\"exists\":1}"));
}
