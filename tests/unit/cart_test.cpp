// The cart entity: creation, lines, stock and currency rules.
#include <catch2/catch.hpp>

#include <string>

#include "actors/cart/cart.hpp"
#include "tests/unit/entity_test_support.hpp"

using namespace agora;
using namespace agora::cart;
using test::ctx;

namespace {

using traits = cart_traits;

const std::string cart_id = "5b2c0f9e-1d7a-4c3e-9f51-2a6b8d0e4c11";

runtime::context at(timestamp_us now) {
  return ctx(now, cart_id);
}

state open_cart(std::string currency = "") {
  state st;
  test::run<traits>(st, create{std::nullopt, std::move(currency)}, at(1'000));
  return st;
}

} // namespace

TEST_CASE("creating a cart opens it", "[cart]") {
  state guest;
  auto evs = test::run<traits>(guest, create{}, at(1'000));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<created>(evs[0]) == created{std::nullopt, "", 1'000});
  CHECK(guest.exists);
  CHECK(guest.status == cart_status::open);
  CHECK_FALSE(guest.customer_id.has_value());
  CHECK(guest.currency.empty());
  CHECK(guest.lines.empty());
  CHECK(guest.version == 1);
  CHECK(guest.created_at == 1'000);
  CHECK(guest.updated_at == 1'000);

  state bound;
  test::run<traits>(bound, create{"cust-1", "EUR"}, at(2'000));
  CHECK(bound.customer_id == std::optional<std::string>{"cust-1"});
  CHECK(bound.currency == "EUR");
}

TEST_CASE("creating a cart validates and happens once", "[cart]") {
  state st;
  test::check_invalid_field(test::reject<traits>(st, create{std::nullopt, "eur"}, at(1)),
                            "currency");
  test::check_invalid_field(test::reject<traits>(st, create{"", ""}, at(1)), "customer_id");
  st = open_cart();
  auto p = test::reject<traits>(st, create{}, at(2));
  CHECK(p.code == errc::conflict);
  CHECK(test::details(p).at("cart_id") == json::value(cart_id));
}

TEST_CASE("adding an item to an empty cart adopts the product's currency", "[cart]") {
  auto st = open_cart();
  auto evs = test::run<traits>(st, add_item{"SKU-1", 2, 10, "USD"}, at(2'000));
  REQUIRE(evs.size() == 2);
  CHECK(std::get<currency_set>(evs[0]) == currency_set{"USD", 2'000});
  CHECK(std::get<item_added>(evs[1]) == item_added{"SKU-1", 2, 2, 2'000});
  CHECK(st.currency == "USD");
  REQUIRE(st.lines.size() == 1);
  CHECK(st.lines[0] == line{"SKU-1", 2});
  CHECK(st.version == 3);
  CHECK(st.updated_at == 2'000);

  // A cart created with another currency but still empty adopts too.
  auto eur = open_cart("EUR");
  evs = test::run<traits>(eur, add_item{"SKU-1", 1, 10, "USD"}, at(2'000));
  REQUIRE(evs.size() == 2);
  CHECK(eur.currency == "USD");
}

TEST_CASE("adding to an existing line adds up, lines keep their order", "[cart]") {
  auto st = open_cart();
  test::run<traits>(st, add_item{"B", 1, 100, "USD"}, at(2));
  test::run<traits>(st, add_item{"A", 1, 100, "USD"}, at(3));
  auto evs = test::run<traits>(st, add_item{"B", 4, 100, "USD"}, at(4));
  REQUIRE(evs.size() == 1); // same currency: no currency_set
  CHECK(std::get<item_added>(evs[0]) == item_added{"B", 4, 5, 4});
  REQUIRE(st.lines.size() == 2);
  CHECK(st.lines[0] == line{"B", 5});
  CHECK(st.lines[1] == line{"A", 1});
}

TEST_CASE("item quantities are validated", "[cart]") {
  auto st = open_cart();
  test::check_invalid_field(test::reject<traits>(st, add_item{"A", 0, 100, "USD"}, at(2)),
                            "quantity");
  test::check_invalid_field(test::reject<traits>(st, add_item{"A", -1, 100, "USD"}, at(2)),
                            "quantity");
  test::check_invalid_field(
    test::reject<traits>(st, add_item{"A", max_line_quantity + 1, 99'999, "USD"}, at(2)),
    "quantity");
  test::check_invalid_field(test::reject<traits>(st, set_quantity{"A", -1, 100, "USD"}, at(2)),
                            "quantity");
  test::check_invalid_field(
    test::reject<traits>(st, set_quantity{"A", max_line_quantity + 1, 99'999, "USD"}, at(2)),
    "quantity");
  test::check_invalid_field(test::reject<traits>(st, add_item{"bad sku", 1, 100, "USD"}, at(2)),
                            "sku");
  test::check_invalid_field(test::reject<traits>(st, set_quantity{"", 1, 100, "USD"}, at(2)),
                            "sku");

  // The resulting line is limited too.
  test::run<traits>(st, add_item{"A", max_line_quantity, 99'999, "USD"}, at(3));
  test::check_invalid_field(test::reject<traits>(st, add_item{"A", 1, 99'999, "USD"}, at(4)),
                            "quantity");
}

TEST_CASE("a line may not exceed the stock available", "[cart]") {
  auto st = open_cart();
  test::run<traits>(st, add_item{"A", 2, 5, "USD"}, at(2));
  auto p = test::reject<traits>(st, add_item{"A", 4, 5, "USD"}, at(3));
  CHECK(p.code == errc::out_of_stock);
  auto d = test::details(p);
  CHECK(d.at("sku") == "A");
  CHECK(d.at("requested") == 6); // the resulting line, not the increment
  CHECK(d.at("available") == 5);
  test::run<traits>(st, add_item{"A", 3, 5, "USD"}, at(4));
  CHECK(st.lines[0].quantity == 5);

  auto p2 = test::reject<traits>(st, set_quantity{"A", 6, 5, "USD"}, at(5));
  CHECK(p2.code == errc::out_of_stock);
  CHECK(test::details(p2).at("requested") == 6);
  // Nothing is added to a cart when the stock check fails, currency included.
  auto fresh = open_cart();
  CHECK(test::reject<traits>(fresh, add_item{"A", 1, 0, "USD"}, at(6)).code ==
        errc::out_of_stock);
}

TEST_CASE("a product in another currency cannot join a non-empty cart", "[cart]") {
  auto st = open_cart();
  test::run<traits>(st, add_item{"A", 1, 5, "USD"}, at(2));
  auto p = test::reject<traits>(st, add_item{"B", 1, 5, "EUR"}, at(3));
  CHECK(p.code == errc::currency_mismatch);
  auto d = test::details(p);
  CHECK(d.at("sku") == "B");
  CHECK(d.at("cart_currency") == "USD");
  CHECK(d.at("product_currency") == "EUR");
  CHECK(test::reject<traits>(st, set_quantity{"B", 1, 5, "EUR"}, at(3)).code ==
        errc::currency_mismatch);

  // When the only line is the product itself, the cart follows its currency.
  auto evs = test::run<traits>(st, set_quantity{"A", 2, 5, "EUR"}, at(4));
  REQUIRE(evs.size() == 2);
  CHECK(std::get<currency_set>(evs[0]).currency == "EUR");
  CHECK(st.currency == "EUR");

  // After the cart is emptied any currency is welcome again.
  test::run<traits>(st, remove_item{"A"}, at(5));
  test::run<traits>(st, add_item{"B", 1, 5, "GBP"}, at(6));
  CHECK(st.currency == "GBP");
}

TEST_CASE("setting a quantity creates, changes or removes the line", "[cart]") {
  auto st = open_cart();
  auto evs = test::run<traits>(st, set_quantity{"A", 3, 10, "USD"}, at(2));
  REQUIRE(evs.size() == 2);
  CHECK(std::get<quantity_set>(evs[1]) == quantity_set{"A", 3, 2});
  test::run<traits>(st, add_item{"B", 1, 10, "USD"}, at(3));
  evs = test::run<traits>(st, set_quantity{"A", 7, 10, "USD"}, at(4));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<quantity_set>(evs[0]) == quantity_set{"A", 7, 4});
  REQUIRE(st.lines.size() == 2);
  CHECK(st.lines[0] == line{"A", 7});
  // The same quantity again: nothing to do.
  CHECK(test::run<traits>(st, set_quantity{"A", 7, 10, "USD"}, at(5)).empty());
  // 0 removes; 0 on an absent line is a no-op.
  evs = test::run<traits>(st, set_quantity{"A", 0, 0, "USD"}, at(6));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<item_removed>(evs[0]) == item_removed{"A", 6});
  REQUIRE(st.lines.size() == 1);
  CHECK(st.lines[0] == line{"B", 1});
  CHECK(test::run<traits>(st, set_quantity{"A", 0, 0, "USD"}, at(7)).empty());
}

TEST_CASE("removing an item", "[cart]") {
  auto st = open_cart();
  test::run<traits>(st, add_item{"A", 1, 10, "USD"}, at(2));
  test::run<traits>(st, add_item{"B", 2, 10, "USD"}, at(3));
  auto evs = test::run<traits>(st, remove_item{"A"}, at(4));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<item_removed>(evs[0]) == item_removed{"A", 4});
  REQUIRE(st.lines.size() == 1);
  CHECK(st.lines[0] == line{"B", 2});
  CHECK(st.updated_at == 4);
  CHECK(test::run<traits>(st, remove_item{"A"}, at(5)).empty());
  CHECK(test::run<traits>(st, remove_item{"never-there"}, at(5)).empty());
}

TEST_CASE("changing a cart that does not exist is not_found", "[cart]") {
  state st;
  for (const command& cmd : {command{add_item{"A", 1, 10, "USD"}},
                             command{set_quantity{"A", 1, 10, "USD"}},
                             command{set_quantity{"A", 0, 10, "USD"}}, command{remove_item{"A"}}}) {
    auto p = test::reject<traits>(st, cmd, at(1));
    CHECK(p.code == errc::not_found);
    CHECK(test::details(p).at("cart_id") == json::value(cart_id));
  }
}

TEST_CASE("a cart that is not open rejects changes with conflict", "[cart]") {
  for (auto status : {cart_status::checking_out, cart_status::checked_out}) {
    auto st = open_cart();
    test::run<traits>(st, add_item{"A", 1, 10, "USD"}, at(2));
    st.status = status; // only the checkout saga gets a cart here
    for (const command& cmd :
         {command{add_item{"A", 1, 10, "USD"}}, command{set_quantity{"A", 3, 10, "USD"}},
          command{remove_item{"A"}}, command{remove_item{"absent"}}}) {
      auto p = test::reject<traits>(st, cmd, at(3));
      CHECK(p.code == errc::conflict);
      CHECK(test::details(p).at("status") == json::value(to_string(status)));
    }
    CHECK(test::run<traits>(st, get{}, at(4)).empty());
  }
}

TEST_CASE("reading a cart decides nothing and never fails", "[cart]") {
  state st;
  CHECK(test::run<traits>(st, get{}, at(1)).empty());
  st = open_cart();
  CHECK(test::run<traits>(st, get{}, at(1)).empty());
  CHECK(st.version == 1);
}

TEST_CASE("cart status names", "[cart]") {
  for (auto s : {cart_status::open, cart_status::checking_out, cart_status::checked_out})
    CHECK(parse_cart_status(to_string(s)) == std::optional<cart_status>{s});
  CHECK(to_string(cart_status::checking_out) == "checking_out");
  CHECK_FALSE(parse_cart_status("closed").has_value());
}

TEST_CASE("a customer's cart accepts changes only from its owner or an admin", "[cart]") {
  state st;
  test::run<traits>(st, create{"cust-1", "USD"}, at(1'000));
  auto by = [](std::optional<std::string> customer, bool admin = false) {
    return cart::access{true, std::move(customer), admin};
  };
  CHECK(test::reject<traits>(st, add_item{"A-1", 1, 10, "USD", by(std::nullopt)}, at(2)).code ==
        errc::unauthenticated);
  CHECK(test::reject<traits>(st, add_item{"A-1", 1, 10, "USD", by("cust-2")}, at(2)).code ==
        errc::forbidden);
  CHECK(test::reject<traits>(st, set_quantity{"A-1", 1, 10, "USD", by("cust-2")}, at(2)).code ==
        errc::forbidden);
  CHECK(test::reject<traits>(st, remove_item{"A-1", by(std::nullopt)}, at(2)).code ==
        errc::unauthenticated);
  // Access comes before the product: a stranger learns nothing about SKUs.
  CHECK(test::reject<traits>(st, add_item{"GONE", 1, 0, "", by("cust-2"), false}, at(2)).code ==
        errc::forbidden);
  CHECK(test::run<traits>(st, add_item{"A-1", 1, 10, "USD", by("cust-1")}, at(3)).size() == 1);
  CHECK(test::run<traits>(st, add_item{"A-1", 1, 10, "USD", by("admin-1", true)}, at(4)).size() ==
        1);
  // Trusted callers inside the engine skip the rule.
  CHECK(test::run<traits>(st, add_item{"A-1", 1, 10, "USD"}, at(5)).size() == 1);
  CHECK(st.find("A-1")->quantity == 3);
}

TEST_CASE("a guest cart is open to anyone holding its id", "[cart]") {
  auto st = open_cart("USD");
  cart::access stranger{true, "cust-9", false};
  CHECK(test::run<traits>(st, add_item{"A-1", 2, 10, "USD", stranger}, at(2)).size() == 1);
  cart::access anonymous{true, std::nullopt, false};
  CHECK(test::run<traits>(st, remove_item{"A-1", anonymous}, at(3)).size() == 1);
}

TEST_CASE("an unlisted product is not found once access and status allow the change", "[cart]") {
  auto st = open_cart("USD");
  test::run<traits>(st, add_item{"A-1", 2, 10, "USD"}, at(2));
  auto p = test::reject<traits>(st, add_item{"GONE", 1, 0, "", {}, false}, at(3));
  CHECK(p.code == errc::not_found);
  CHECK(test::details(p).at("sku") == json::value("GONE"));
  CHECK(test::reject<traits>(st, set_quantity{"GONE", 1, 0, "", {}, false}, at(3)).code ==
        errc::not_found);
  // Setting 0 still removes the line of a product retired since.
  CHECK(test::run<traits>(st, set_quantity{"A-1", 0, 0, "", {}, false}, at(4)).size() == 1);
  CHECK(st.lines.empty());
}
