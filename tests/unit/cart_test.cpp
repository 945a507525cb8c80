// The cart entity: creation, lines, stock and currency rules, and the
// checkout saga's transitions (begin, abort, complete).
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

// -- checkout transitions -------------------------------------------------------

namespace {

/// An open guest cart with one line.
state filled_cart() {
  auto st = open_cart();
  test::run<traits>(st, add_item{"A", 2, 10, "USD"}, at(2'000));
  return st;
}

/// A filled guest cart locked by checkout `chk-1`.
state checking_out_cart() {
  auto st = filled_cart();
  test::run<traits>(st, begin_checkout{"chk-1", std::nullopt}, at(3'000));
  REQUIRE(st.status == cart_status::checking_out);
  return st;
}

} // namespace

TEST_CASE("beginning a checkout locks the cart for that checkout", "[cart][checkout]") {
  auto st = filled_cart();
  auto evs = test::run<traits>(st, begin_checkout{"chk-1", std::nullopt}, at(3'000));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<checkout_started>(evs[0]) == checkout_started{"chk-1", std::nullopt, 3'000});
  CHECK(st.status == cart_status::checking_out);
  CHECK(st.checkout_id == "chk-1");
  CHECK_FALSE(st.customer_id.has_value());
  CHECK(st.lines == std::vector<line>{line{"A", 2}}); // the lines stay as they were
  CHECK(st.updated_at == 3'000);
  CHECK(st.version == 4);
}

TEST_CASE("an empty or missing cart cannot begin a checkout", "[cart][checkout]") {
  auto st = open_cart();
  auto p = test::reject<traits>(st, begin_checkout{"chk-1", "cust-1"}, at(2));
  CHECK(p.code == errc::cart_empty);
  CHECK(test::details(p).at("cart_id") == json::value(cart_id));
  // Emptied again after adding: still empty.
  test::run<traits>(st, add_item{"A", 1, 10, "USD"}, at(3));
  test::run<traits>(st, remove_item{"A"}, at(4));
  CHECK(test::reject<traits>(st, begin_checkout{"chk-1", std::nullopt}, at(5)).code ==
        errc::cart_empty);
  CHECK(st.status == cart_status::open);

  state never;
  for (const command& cmd : {command{begin_checkout{"chk-1", std::nullopt}},
                             command{complete_checkout{"chk-1"}}}) {
    auto q = test::reject<traits>(never, cmd, at(1));
    CHECK(q.code == errc::not_found);
    CHECK(test::details(q).at("cart_id") == json::value(cart_id));
  }
  // Compensation never fails: aborting on a missing cart decides nothing.
  CHECK(test::run<traits>(never, abort_checkout{"chk-1"}, at(1)).empty());
}

TEST_CASE("a checkout binds a guest cart to its customer, never an owned one",
          "[cart][checkout]") {
  auto guest = filled_cart();
  auto evs = test::run<traits>(guest, begin_checkout{"chk-1", "cust-1"}, at(3'000));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<checkout_started>(evs[0]) == checkout_started{"chk-1", "cust-1", 3'000});
  CHECK(guest.customer_id == std::optional<std::string>{"cust-1"});
  // The binding outlives an aborted checkout: the cart is the customer's now.
  test::run<traits>(guest, abort_checkout{"chk-1"}, at(4'000));
  CHECK(guest.customer_id == std::optional<std::string>{"cust-1"});
  cart::access stranger{true, "cust-2", false};
  CHECK(test::reject<traits>(guest, add_item{"A", 1, 10, "USD", stranger}, at(5'000)).code ==
        errc::forbidden);

  state owned;
  test::run<traits>(owned, create{"cust-1", "USD"}, at(1'000));
  test::run<traits>(owned, add_item{"A", 1, 10, "USD"}, at(2'000));
  for (std::optional<std::string> by : {std::optional<std::string>{"cust-1"},
                                        std::optional<std::string>{"cust-2"},
                                        std::optional<std::string>{}}) {
    auto st = owned;
    evs = test::run<traits>(st, begin_checkout{"chk-1", by}, at(3'000));
    REQUIRE(evs.size() == 1);
    CHECK_FALSE(std::get<checkout_started>(evs[0]).customer_id.has_value());
    CHECK(st.customer_id == std::optional<std::string>{"cust-1"});
  }
}

TEST_CASE("a cart is held by one checkout at a time", "[cart][checkout]") {
  auto st = checking_out_cart();
  auto before = st;
  // The same checkout again (a retried price_cart): nothing to do.
  CHECK(test::run<traits>(st, begin_checkout{"chk-1", "cust-1"}, at(4'000)).empty());
  CHECK(st == before);
  // Another checkout: conflict, naming the holder.
  auto p = test::reject<traits>(st, begin_checkout{"chk-2", std::nullopt}, at(4'000));
  CHECK(p.code == errc::conflict);
  auto d = test::details(p);
  CHECK(d.at("cart_id") == json::value(cart_id));
  CHECK(d.at("status") == "checking_out");
  CHECK(d.at("checkout_id") == "chk-1");

  // Once checked out, the holder's retry is still a no-op, another is a conflict.
  test::run<traits>(st, complete_checkout{"chk-1"}, at(5'000));
  CHECK(test::run<traits>(st, begin_checkout{"chk-1", std::nullopt}, at(6'000)).empty());
  p = test::reject<traits>(st, begin_checkout{"chk-2", std::nullopt}, at(6'000));
  CHECK(p.code == errc::conflict);
  CHECK(test::details(p).at("status") == "checked_out");
  CHECK(test::details(p).at("checkout_id") == "chk-1");
}

TEST_CASE("a cart being checked out refuses changes", "[cart][checkout]") {
  auto st = checking_out_cart();
  cart::access owner{true, std::nullopt, false};
  for (const command& cmd :
       {command{add_item{"A", 1, 10, "USD"}}, command{add_item{"B", 1, 10, "USD", owner}},
        command{set_quantity{"A", 5, 10, "USD"}}, command{set_quantity{"A", 0, 10, "USD"}},
        command{remove_item{"A"}}, command{remove_item{"absent"}}}) {
    auto p = test::reject<traits>(st, cmd, at(4'000));
    CHECK(p.code == errc::conflict); // HTTP 409
    CHECK(test::details(p).at("status") == "checking_out");
  }
  CHECK(st.lines == std::vector<line>{line{"A", 2}});
  CHECK(test::run<traits>(st, get{}, at(4'000)).empty());
}

TEST_CASE("only the holding checkout aborts, and the cart opens again", "[cart][checkout]") {
  auto st = checking_out_cart();
  // Another checkout's compensation leaves the cart alone.
  CHECK(test::run<traits>(st, abort_checkout{"chk-2"}, at(4'000)).empty());
  CHECK(st.status == cart_status::checking_out);
  CHECK(st.checkout_id == "chk-1");

  auto evs = test::run<traits>(st, abort_checkout{"chk-1"}, at(5'000));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<checkout_aborted>(evs[0]) == checkout_aborted{"chk-1", 5'000});
  CHECK(st.status == cart_status::open);
  CHECK(st.checkout_id.empty());
  CHECK(st.updated_at == 5'000);
  // A repeated abort, or one on an open cart, decides nothing.
  CHECK(test::run<traits>(st, abort_checkout{"chk-1"}, at(6'000)).empty());
  CHECK(test::run<traits>(st, abort_checkout{""}, at(6'000)).empty());

  // The checkout that gave the cart up cannot take it again (a late retry of
  // its price_cart must not lock the cart for a dead checkout).
  CHECK(st.aborted_checkout_id == "chk-1");
  auto late = test::reject<traits>(st, begin_checkout{"chk-1", std::nullopt}, at(6'500));
  CHECK(late.code == errc::conflict);
  CHECK(test::details(late).at("checkout_id") == "chk-1");
  CHECK(st.status == cart_status::open);

  // The cart takes changes again, and another checkout may begin.
  test::run<traits>(st, add_item{"B", 1, 10, "USD"}, at(7'000));
  CHECK(st.lines.size() == 2);
  evs = test::run<traits>(st, begin_checkout{"chk-2", std::nullopt}, at(8'000));
  REQUIRE(evs.size() == 1);
  CHECK(st.checkout_id == "chk-2");
  // The snapshot keeps both ids.
  auto back = traits::decode_state(traits::encode_state(st));
  REQUIRE(back);
  CHECK(*back == st);
}

TEST_CASE("a checkout needs an id to begin", "[cart][checkout]") {
  auto st = filled_cart();
  auto p = test::reject<traits>(st, begin_checkout{"", std::nullopt}, at(3'000));
  CHECK(p.code == errc::invalid_request);
  CHECK(test::details(p).at("field") == "checkout_id");
  CHECK(st.status == cart_status::open);
}

TEST_CASE("completing a checkout checks the cart out, once", "[cart][checkout]") {
  auto st = checking_out_cart();
  auto p = test::reject<traits>(st, complete_checkout{"chk-2"}, at(4'000));
  CHECK(p.code == errc::conflict);
  CHECK(test::details(p).at("checkout_id") == "chk-1");
  CHECK(st.status == cart_status::checking_out);

  auto evs = test::run<traits>(st, complete_checkout{"chk-1"}, at(5'000));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<checked_out>(evs[0]) == checked_out{"chk-1", 5'000});
  CHECK(st.status == cart_status::checked_out);
  CHECK(st.checkout_id == "chk-1");
  CHECK(st.updated_at == 5'000);
  CHECK(test::run<traits>(st, complete_checkout{"chk-1"}, at(6'000)).empty());
  CHECK(test::reject<traits>(st, complete_checkout{"chk-2"}, at(6'000)).code == errc::conflict);
  // A checked-out cart is final: no abort, no changes.
  CHECK(test::run<traits>(st, abort_checkout{"chk-1"}, at(7'000)).empty());
  CHECK(st.status == cart_status::checked_out);
  CHECK(test::reject<traits>(st, add_item{"A", 1, 10, "USD"}, at(7'000)).code ==
        errc::conflict);

  // An open cart was never begun: completing it is a conflict, not a success.
  auto open = filled_cart();
  p = test::reject<traits>(open, complete_checkout{"chk-1"}, at(3'000));
  CHECK(p.code == errc::conflict);
  CHECK(test::details(p).at("status") == "open");
  CHECK(open.status == cart_status::open);
}
