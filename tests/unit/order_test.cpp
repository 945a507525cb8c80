// The order entity: placing (totals, address), the status machine (every
// from × to pair), idempotency keys, binding a customer, and its codecs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/order/order.hpp"
#include "tests/unit/entity_test_support.hpp"

using namespace agora;
using namespace agora::order;
using test::ctx;
using keys = std::set<std::string>;

namespace {

using traits = order_traits;

const std::string order_id = "0b9f7a3e-6c1d-4e2f-8a5b-9c0d1e2f3a4b";

const std::string address_text =
  R"({"name":"Ada Lovelace","line1":"12 St James's Sq","city":"London",)"
  R"("postal_code":"SW1Y 4JH","country":"GB","lat":51.5074,"lon":-0.1338})";

runtime::context at(timestamp_us now) {
  return ctx(now, order_id);
}

/// A valid place command: 2 × 1,250 + 1 × 999 + 500 shipping.
place valid_place(std::string key = "") {
  place cmd;
  cmd.customer_id = "cust-1";
  cmd.checkout_id = "chk-1";
  cmd.items = {item{"SKU-A", "Widget", 2, 1'250, 2'500}, item{"SKU-B", "Gadget", 1, 999, 999}};
  cmd.subtotal_cents = 3'499;
  cmd.shipping_cents = 500;
  cmd.total_cents = 3'999;
  cmd.currency = "EUR";
  cmd.shipping_address = address_text;
  cmd.payment_id = "pay-1";
  cmd.idempotency_key = std::move(key);
  return cmd;
}

state placed_order() {
  state st;
  test::run<traits>(st, valid_place(), at(1'000));
  return st;
}

const std::vector<order_status> all_statuses{
  order_status::pending,   order_status::paid,      order_status::shipped,
  order_status::delivered, order_status::cancelled, order_status::refunded};

/// An order brought to `status` through the commands (never by hand).
state order_in(order_status status) {
  auto st = placed_order();
  auto step = [&](const command& cmd) { test::run<traits>(st, cmd, at(st.updated_at + 1)); };
  switch (status) {
    case order_status::pending: break;
    case order_status::paid: step(mark_paid{}); break;
    case order_status::shipped:
      step(mark_paid{});
      step(ship{"DHL", "TRACK-1", ""});
      break;
    case order_status::delivered:
      step(mark_paid{});
      step(ship{"DHL", "TRACK-1", ""});
      step(deliver{});
      break;
    case order_status::cancelled: step(cancel{"changed my mind", ""}); break;
    case order_status::refunded:
      step(mark_paid{});
      step(mark_refunded{});
      break;
  }
  REQUIRE(st.status == status);
  return st;
}

/// The command that moves an order to `to` (pending has none).
command command_to(order_status to, std::string key = "") {
  switch (to) {
    case order_status::paid: return mark_paid{std::move(key)};
    case order_status::shipped: return ship{"UPS", "1Z999", std::move(key)};
    case order_status::delivered: return deliver{std::move(key)};
    case order_status::cancelled: return cancel{"", std::move(key)};
    case order_status::refunded: return mark_refunded{std::move(key)};
    case order_status::pending: break;
  }
  FAIL("no command leads to pending");
  return get{};
}

} // namespace

// -- placing ------------------------------------------------------------------

TEST_CASE("placing an order records it as pending", "[order]") {
  state st;
  auto evs = test::run<traits>(st, valid_place("chk-1/place_order"), at(1'000));
  REQUIRE(evs.size() == 1);
  const auto& e = std::get<placed>(evs[0]);
  CHECK(e.order_id == order_id);
  CHECK(e.key == "chk-1/place_order");
  CHECK(e.at == 1'000);
  CHECK(st.exists);
  CHECK(st.order_id == order_id);
  CHECK(st.customer_id == std::optional<std::string>{"cust-1"});
  CHECK(st.checkout_id == "chk-1");
  CHECK(st.status == order_status::pending);
  REQUIRE(st.items.size() == 2);
  CHECK(st.items[0] == item{"SKU-A", "Widget", 2, 1'250, 2'500});
  CHECK(st.subtotal_cents == 3'499);
  CHECK(st.shipping_cents == 500);
  CHECK(st.total_cents == 3'999);
  CHECK(st.currency == "EUR");
  CHECK(st.payment_id == "pay-1");
  CHECK_FALSE(st.carrier.has_value());
  CHECK_FALSE(st.tracking_number.has_value());
  CHECK(st.history == std::vector<history_entry>{{order_status::pending, 1'000}});
  CHECK(st.created_at == 1'000);
  CHECK(st.updated_at == 1'000);
  CHECK(st.version == 1);
  CHECK(st.applied("chk-1/place_order"));
  CHECK_FALSE(st.applied(""));

  // The address is kept as a canonical object with the contracted fields.
  auto address = parse_json(st.shipping_address);
  REQUIRE(address);
  REQUIRE(address->is_object());
  CHECK(test::keys_of(st.shipping_address) ==
        keys{"name", "line1", "city", "postal_code", "country", "lat", "lon"});
  CHECK(address->get_object().at("city") == "London");
  CHECK(address->get_object().at("lat") == 51.5074);
}

TEST_CASE("placing a guest order, address without coordinates, free items", "[order]") {
  auto cmd = valid_place();
  cmd.customer_id.reset();
  cmd.items = {item{"FREE-1", "Sample", 3, 0, 0}};
  cmd.subtotal_cents = 0;
  cmd.shipping_cents = 0;
  cmd.total_cents = 0;
  // Unknown fields are dropped, fields are reordered, whitespace goes.
  cmd.shipping_address = R"( {"country":"DE","extra":[1,2],"city":"Berlin","line1":"Unter )"
                         R"(den Linden 1","postal_code":"10117","name":"Émile","lat":null} )";
  state st;
  test::run<traits>(st, cmd, at(5));
  CHECK_FALSE(st.customer_id.has_value());
  CHECK(st.total_cents == 0);
  CHECK(st.shipping_address ==
        R"({"name":"Émile","line1":"Unter den Linden 1","city":"Berlin",)"
        R"("postal_code":"10117","country":"DE"})");
  // Integer coordinates stay integers.
  cmd.shipping_address = R"({"name":"N","line1":"L","city":"C","postal_code":"P",)"
                         R"("country":"FR","lat":-90,"lon":180})";
  state st2;
  test::run<traits>(st2, cmd, at(5));
  CHECK(st2.shipping_address == cmd.shipping_address);
}

TEST_CASE("placing validates every field and the totals", "[order]") {
  state st;
  auto c = at(1);
  auto check = [&](const place& cmd, std::string_view field) {
    INFO(field);
    test::check_invalid_field(test::reject<traits>(st, cmd, c), field);
  };
  auto cmd = valid_place();

  auto x = cmd;
  x.items.clear();
  x.subtotal_cents = 0;
  x.total_cents = 500;
  check(x, "items");
  x = cmd;
  x.items[1].sku = "bad sku";
  check(x, "items[1].sku");
  x = cmd;
  x.items[1].sku = "SKU-A";
  check(x, "items[1].sku"); // twice the same SKU
  x = cmd;
  x.items[0].name = "";
  check(x, "items[0].name");
  x = cmd;
  x.items[0].name = std::string(201, 'n');
  check(x, "items[0].name");
  x = cmd;
  x.items[0].quantity = 0;
  x.items[0].line_total_cents = 0;
  x.subtotal_cents = 999;
  x.total_cents = 1'499;
  check(x, "items[0].quantity");
  x = cmd;
  x.items[0].quantity = max_item_quantity + 1;
  check(x, "items[0].quantity");
  x = cmd;
  x.items[0].unit_price_cents = -1;
  x.items[0].line_total_cents = -2;
  check(x, "items[0].unit_price_cents");
  x = cmd;
  x.items[0].line_total_cents = 2'499;
  check(x, "items[0].line_total_cents");
  x = cmd;
  x.items[0].unit_price_cents = INT64_MAX / 2 + 1; // quantity × price overflows
  x.items[0].line_total_cents = INT64_MAX;
  check(x, "items[0].line_total_cents");
  x = cmd;
  x.subtotal_cents = 3'498;
  check(x, "subtotal_cents");
  x = cmd;
  x.shipping_cents = -500;
  x.total_cents = 2'999;
  check(x, "shipping_cents");
  x = cmd;
  x.total_cents = 3'499;
  check(x, "total_cents");
  x = cmd;
  x.currency = "eur";
  check(x, "currency");
  x = cmd;
  x.checkout_id = "";
  check(x, "checkout_id");
  x = cmd;
  x.payment_id = "";
  check(x, "payment_id");
  x = cmd;
  x.customer_id = "";
  check(x, "customer_id");
  x = cmd;
  x.idempotency_key = std::string(max_idempotency_key_length + 1, 'k');
  check(x, "idempotency_key");

  // The address: an object with the five text fields, coordinates in range.
  for (const std::string& bad : {std::string(""), std::string("not json"), std::string("[]"),
                                 std::string(R"("text")")}) {
    x = cmd;
    x.shipping_address = bad;
    check(x, "shipping_address");
  }
  auto with = [&](std::string_view field_json) {
    auto y = cmd;
    y.shipping_address = R"({"name":"N","line1":"L","city":"C","postal_code":"P","country":"GB")";
    y.shipping_address += field_json;
    y.shipping_address += "}";
    return y;
  };
  check(with(R"(,"lat":90.5)"), "shipping_address.lat");
  check(with(R"(,"lat":"51.5")"), "shipping_address.lat");
  check(with(R"(,"lon":-180.01)"), "shipping_address.lon");
  check(with(R"(,"lon":true)"), "shipping_address.lon");
  x = cmd;
  x.shipping_address = R"({"line1":"L","city":"C","postal_code":"P","country":"GB"})";
  check(x, "shipping_address.name");
  x = cmd;
  x.shipping_address = R"({"name":"N","line1":"","city":"C","postal_code":"P","country":"GB"})";
  check(x, "shipping_address.line1");
  x = cmd;
  x.shipping_address = R"({"name":"N","line1":"L","city":7,"postal_code":"P","country":"GB"})";
  check(x, "shipping_address.city");
  x = cmd;
  x.shipping_address = R"({"name":"N","line1":"L","city":"C","country":"GB"})";
  check(x, "shipping_address.postal_code");
  x = cmd;
  x.shipping_address = R"({"name":"N","line1":"L","city":"C","postal_code":"P"})";
  check(x, "shipping_address.country");
}

TEST_CASE("an order is placed once; a repeated key decides nothing", "[order]") {
  state st;
  test::run<traits>(st, valid_place("chk-1/place_order"), at(1));
  // The saga's retry of the same step.
  CHECK(test::run<traits>(st, valid_place("chk-1/place_order"), at(2)).empty());
  CHECK(st.version == 1);
  // Any other placing of the same order id is a conflict.
  for (const std::string& key : {std::string(""), std::string("chk-2/place_order")}) {
    auto p = test::reject<traits>(st, valid_place(key), at(3));
    CHECK(p.code == errc::conflict);
    CHECK(test::details(p).at("order_id") == json::value(order_id));
  }
}

// -- the status machine -------------------------------------------------------

TEST_CASE("the order status machine allows exactly the contracted transitions",
          "[order]") {
  using s = order_status;
  const std::set<std::pair<s, s>> allowed{
    {s::pending, s::paid},       {s::paid, s::shipped},   {s::shipped, s::delivered},
    {s::pending, s::cancelled},  {s::paid, s::cancelled}, {s::paid, s::refunded}};
  size_t pairs = 0;
  for (auto from : all_statuses)
    for (auto to : all_statuses) {
      INFO(to_string(from) << " -> " << to_string(to));
      CHECK(can_transition(from, to) == (allowed.count({from, to}) > 0));
      ++pairs;
    }
  CHECK(pairs == 36);
}

TEST_CASE("every status command from every status: allowed ones succeed, others are "
          "invalid_transition",
          "[order]") {
  size_t succeeded = 0;
  size_t rejected = 0;
  for (auto from : all_statuses)
    for (auto to : all_statuses) {
      if (to == order_status::pending)
        continue; // no command leads back to pending
      INFO(to_string(from) << " -> " << to_string(to));
      const auto before = order_in(from);
      auto cmd = command_to(to);
      if (can_transition(from, to)) {
        auto st = before;
        auto evs = test::run<traits>(st, cmd, at(before.updated_at + 10));
        REQUIRE(evs.size() == 1);
        CHECK(st.status == to);
        CHECK(st.version == before.version + 1);
        CHECK(st.updated_at == before.updated_at + 10);
        REQUIRE(st.history.size() == before.history.size() + 1);
        CHECK(st.history.back() == history_entry{to, before.updated_at + 10});
        ++succeeded;
      } else {
        auto p = test::reject<traits>(before, cmd, at(before.updated_at + 10));
        CHECK(p.code == errc::invalid_transition);
        CHECK_FALSE(p.message.empty());
        auto d = test::details(p);
        CHECK(d.at("order_id") == json::value(order_id));
        CHECK(d.at("from") == json::value(to_string(from)));
        CHECK(d.at("to") == json::value(to_string(to)));
        ++rejected;
      }
    }
  CHECK(succeeded == 6);
  CHECK(rejected == 24);
}

TEST_CASE("an order's whole life: paid, shipped, delivered", "[order]") {
  auto st = placed_order();
  auto evs = test::run<traits>(st, mark_paid{"chk-1/capture"}, at(2'000));
  CHECK(std::get<paid>(evs.at(0)) == paid{2'000, "chk-1/capture"});
  evs = test::run<traits>(st, ship{"DHL Express", "JD014600003828", "ship-1"}, at(3'000));
  CHECK(std::get<shipped>(evs.at(0)) == shipped{"DHL Express", "JD014600003828", 3'000, "ship-1"});
  CHECK(st.carrier == std::optional<std::string>{"DHL Express"});
  CHECK(st.tracking_number == std::optional<std::string>{"JD014600003828"});
  evs = test::run<traits>(st, deliver{}, at(4'000));
  CHECK(std::get<delivered>(evs.at(0)) == delivered{4'000, ""});
  CHECK(st.status == order_status::delivered);
  CHECK(st.history == std::vector<history_entry>{{order_status::pending, 1'000},
                                                 {order_status::paid, 2'000},
                                                 {order_status::shipped, 3'000},
                                                 {order_status::delivered, 4'000}});
  CHECK(st.created_at == 1'000);
  CHECK(st.updated_at == 4'000);
  CHECK(st.version == 4);
}

TEST_CASE("cancelling records the reason and the status left", "[order]") {
  auto pending_order = placed_order();
  auto evs = test::run<traits>(pending_order, cancel{"payment_declined", "chk-1/cancel"},
                               at(2'000));
  CHECK(std::get<cancelled>(evs.at(0)) ==
        cancelled{"payment_declined", order_status::pending, 2'000, "chk-1/cancel"});
  CHECK(pending_order.cancel_reason == std::optional<std::string>{"payment_declined"});

  auto paid_order = order_in(order_status::paid);
  evs = test::run<traits>(paid_order, cancel{}, at(5'000));
  CHECK(std::get<cancelled>(evs.at(0)).from == order_status::paid);
  CHECK(paid_order.cancel_reason == std::optional<std::string>{""});

  auto st = placed_order();
  test::check_invalid_field(test::reject<traits>(st, cancel{std::string(201, 'r'), ""}, at(2)),
                            "reason");
  // 200 characters of two bytes each are fine.
  std::string umlauts;
  for (int i = 0; i < 200; ++i)
    umlauts += "ü";
  test::run<traits>(st, cancel{umlauts, ""}, at(2));
}

TEST_CASE("shipping needs a carrier and a tracking number of 1-100 characters", "[order]") {
  auto st = order_in(order_status::paid);
  auto c = at(st.updated_at + 1);
  test::check_invalid_field(test::reject<traits>(st, ship{"", "T", ""}, c), "carrier");
  test::check_invalid_field(test::reject<traits>(st, ship{std::string(101, 'c'), "T", ""}, c),
                            "carrier");
  test::check_invalid_field(test::reject<traits>(st, ship{"C", "", ""}, c), "tracking_number");
  test::check_invalid_field(test::reject<traits>(st, ship{"C", std::string(101, 't'), ""}, c),
                            "tracking_number");
  test::run<traits>(st, ship{std::string(100, 'c'), std::string(100, 't'), ""}, c);
  CHECK(st.status == order_status::shipped);
  // The fields are checked before the status: a bad body on a pending order is 400.
  auto pending_order = placed_order();
  test::check_invalid_field(test::reject<traits>(pending_order, ship{"", "T", ""}, c),
                            "carrier");
}

TEST_CASE("commands to an order never placed are not_found; reading never fails",
          "[order]") {
  state st;
  for (const command& cmd :
       {command{mark_paid{}}, command{ship{"C", "T", ""}}, command{deliver{}},
        command{cancel{}}, command{mark_refunded{}}, command{bind_customer{"cust-1", ""}},
        command{mark_paid{"k"}}}) {
    auto p = test::reject<traits>(st, cmd, at(1));
    CHECK(p.code == errc::not_found);
    CHECK(test::details(p).at("order_id") == json::value(order_id));
  }
  CHECK(test::run<traits>(st, get{}, at(1)).empty());
  CHECK_FALSE(st.exists);
  st = placed_order();
  CHECK(test::run<traits>(st, get{}, at(2)).empty());
  CHECK(st.version == 1);
}

// -- idempotency --------------------------------------------------------------

TEST_CASE("a repeated idempotency key on an order decides nothing", "[order]") {
  for (auto to : {order_status::paid, order_status::cancelled}) {
    auto st = placed_order();
    test::run<traits>(st, command_to(to, "k-1"), at(2));
    auto after = st;
    // Repeating the command is a no-op, not an invalid transition.
    CHECK(test::run<traits>(st, command_to(to, "k-1"), at(3)).empty());
    CHECK(st == after);
    // A key is a key whatever command carries it.
    CHECK(test::run<traits>(st, command_to(order_status::refunded, "k-1"), at(3)).empty());
    // Without a key, or with another one, the status machine decides.
    CHECK(test::reject<traits>(st, command_to(to), at(4)).code == errc::invalid_transition);
    CHECK(test::reject<traits>(st, command_to(to, "k-2"), at(4)).code ==
          errc::invalid_transition);
  }

  auto st = order_in(order_status::paid);
  test::run<traits>(st, ship{"C", "T", "ship-k"}, at(st.updated_at + 1));
  test::run<traits>(st, deliver{"deliver-k"}, at(st.updated_at + 1));
  auto version = st.version;
  CHECK(test::run<traits>(st, ship{"C", "T", "ship-k"}, at(st.updated_at + 1)).empty());
  CHECK(test::run<traits>(st, deliver{"deliver-k"}, at(st.updated_at + 1)).empty());
  CHECK(st.version == version);
  CHECK(st.applied_keys.oldest_first() == std::deque<std::string>{"ship-k", "deliver-k"});

  auto refunded_order = order_in(order_status::paid);
  test::run<traits>(refunded_order, mark_refunded{"refund-k"}, at(9'000));
  CHECK(test::run<traits>(refunded_order, mark_refunded{"refund-k"}, at(9'001)).empty());
  CHECK(refunded_order.status == order_status::refunded);
}

TEST_CASE("an order remembers the newest 1000 keys", "[order]") {
  auto st = placed_order();
  auto key = [](size_t i) {
    std::string k = "key-";
    k += std::to_string(i);
    return k;
  };
  // Only the fold can produce this many keyed events on one order.
  for (size_t i = 0; i <= max_applied_keys; ++i)
    st = traits::apply_event(std::move(st), customer_bound{"cust-1", 2, key(i)});
  CHECK(st.applied_keys.size() == max_applied_keys);
  CHECK_FALSE(st.applied(key(0)));
  CHECK(st.applied(key(1)));
  CHECK(st.applied(key(max_applied_keys)));
  CHECK(st.applied_keys.oldest_first().front() == key(1));
  // The forgotten key acts again (here: a conflict, the order exists).
  CHECK(test::reject<traits>(st, valid_place(key(0)), at(3)).code == errc::conflict);
  CHECK(test::run<traits>(st, valid_place(key(1)), at(3)).empty());
  test::check_state_round_trip<traits>(st);
}

// -- binding a customer -------------------------------------------------------

TEST_CASE("a guest order is bound to a customer once", "[order]") {
  auto cmd = valid_place();
  cmd.customer_id.reset();
  state st;
  test::run<traits>(st, cmd, at(1));
  test::check_invalid_field(test::reject<traits>(st, bind_customer{"", ""}, at(2)),
                            "customer_id");
  auto evs = test::run<traits>(st, bind_customer{"cust-9", "bind-k"}, at(2));
  CHECK(std::get<customer_bound>(evs.at(0)) == customer_bound{"cust-9", 2, "bind-k"});
  CHECK(st.customer_id == std::optional<std::string>{"cust-9"});
  CHECK(st.updated_at == 2);
  CHECK(st.history.size() == 1); // not a status change
  // The same customer again: nothing to do; the same key: nothing to do.
  CHECK(test::run<traits>(st, bind_customer{"cust-9", ""}, at(3)).empty());
  CHECK(test::run<traits>(st, bind_customer{"cust-7", "bind-k"}, at(3)).empty());
  // Another customer: conflict.
  auto p = test::reject<traits>(st, bind_customer{"cust-7", ""}, at(3));
  CHECK(p.code == errc::conflict);
  CHECK(test::details(p).at("customer_id") == "cust-9");
  // Binding works in any status.
  state later;
  test::run<traits>(later, cmd, at(1));
  test::run<traits>(later, cancel{}, at(2));
  test::run<traits>(later, bind_customer{"cust-9", ""}, at(3));
  CHECK(later.customer_id == std::optional<std::string>{"cust-9"});
}

TEST_CASE("order status names", "[order]") {
  for (auto s : all_statuses)
    CHECK(parse_order_status(to_string(s)) == std::optional<order_status>{s});
  CHECK(to_string(order_status::cancelled) == "cancelled");
  CHECK_FALSE(parse_order_status("canceled").has_value());
  CHECK_FALSE(parse_order_status("").has_value());
}

// -- codec --------------------------------------------------------------------

TEST_CASE("order events and snapshots round-trip", "[codec][order]") {
  const std::string tricky = "Quote \" backslash \\ newline \n ünïcødé 😀 </script>";
  auto cmd = valid_place("chk-1/place_order");
  cmd.customer_id.reset();
  cmd.items[0].name = tricky;
  std::vector<event> history;
  state st;
  timestamp_us now = 1'700'000'000'000'000;
  for (const command& c :
       {command{cmd}, command{bind_customer{"cust-1", ""}}, command{mark_paid{"chk-1/capture"}},
        command{ship{tricky, "T-1", "ship-1"}}, command{deliver{}}}) {
    auto evs = test::run<traits>(st, c, at(now += 1'234));
    history.insert(history.end(), evs.begin(), evs.end());
  }
  REQUIRE(history.size() == 5);
  auto final_state = test::check_history<traits>(history);
  CHECK(final_state == st);

  // The other ends of the machine.
  std::vector<event> cancelled_history{history[0], cancelled{tricky, order_status::pending, 7, ""}};
  CHECK(test::check_history<traits>(cancelled_history).cancel_reason ==
        std::optional<std::string>{tricky});
  std::vector<event> refunded_history{history[0], history[2], refunded{8, "refund-1"}};
  CHECK(test::check_history<traits>(refunded_history).status == order_status::refunded);
}

TEST_CASE("order payloads have their documented fields", "[codec][order]") {
  using T = order_traits;
  state st;
  auto evs = test::run<traits>(st, valid_place("k"), at(42));
  const auto& e = evs.at(0);
  CHECK(T::event_type(e) == "order.placed");
  CHECK(test::keys_of(T::encode_event(e)) ==
        keys{"order_id", "customer_id", "checkout_id", "items", "subtotal_cents",
             "shipping_cents", "total_cents", "currency", "shipping_address", "payment_id",
             "at", "key"});
  auto v = parse_json(T::encode_event(e));
  REQUIRE(v);
  const auto& o = v->get_object();
  REQUIRE(o.at("shipping_address").is_object()); // an object, not a string
  CHECK(o.at("shipping_address").get_object().at("country") == "GB");
  REQUIRE(o.at("items").is_array());
  CHECK(test::keys_of(json::serialize(o.at("items").get_array().at(0))) ==
        keys{"sku", "name", "quantity", "unit_price_cents", "line_total_cents"});
  CHECK(o.at("total_cents") == 3'999);
  CHECK(o.at("customer_id") == "cust-1");
  CHECK(o.at("key") == "k");

  // "key" is there only when the command had one.
  CHECK(T::event_type(paid{}) == "order.paid");
  CHECK(T::encode_event(paid{5, ""}) == R"({"at":5})");
  CHECK(T::encode_event(paid{5, "k"}) == R"({"at":5,"key":"k"})");
  CHECK(T::event_type(shipped{}) == "order.shipped");
  CHECK(test::keys_of(T::encode_event(shipped{"C", "T", 1, ""})) ==
        keys{"carrier", "tracking_number", "at"});
  CHECK(T::event_type(delivered{}) == "order.delivered");
  CHECK(T::encode_event(delivered{6, ""}) == R"({"at":6})");
  CHECK(T::event_type(cancelled{}) == "order.cancelled");
  CHECK(T::encode_event(cancelled{"r", order_status::paid, 7, ""}) ==
        R"({"reason":"r","from":"paid","at":7})");
  CHECK(T::event_type(refunded{}) == "order.refunded");
  CHECK(test::keys_of(T::encode_event(refunded{1, "x"})) == keys{"at", "key"});
  CHECK(T::event_type(customer_bound{}) == "order.customer_bound");
  CHECK(T::encode_event(customer_bound{"c", 8, ""}) == R"({"customer_id":"c","at":8})");
}

TEST_CASE("order decoding rejects garbage and corrupt snapshots", "[codec][order]") {
  using T = order_traits;
  state st;
  auto placed_text = T::encode_event(test::run<traits>(st, valid_place(), at(1)).at(0));
  REQUIRE(T::decode_event("order.placed", placed_text));
  CHECK_FALSE(T::decode_event("order.unknown", placed_text));
  CHECK_FALSE(T::decode_event("cart.created", placed_text));
  CHECK_FALSE(T::decode_event("order.placed", ""));
  CHECK_FALSE(T::decode_event("order.placed", "{"));
  CHECK_FALSE(T::decode_event("order.placed", "[]"));
  CHECK_FALSE(T::decode_event("order.placed", "\xff\xfe"));
  CHECK_FALSE(T::decode_event("order.placed", placed_text.substr(0, placed_text.size() / 2)));
  // The address must be an object in an event, items objects with integers.
  auto v = parse_json(placed_text);
  REQUIRE(v);
  auto as_string = v->get_object();
  as_string["shipping_address"] = "{}";
  CHECK_FALSE(T::decode_event("order.placed", json::serialize(as_string)));
  auto bad_item = v->get_object();
  bad_item["items"].get_array().at(0).get_object()["quantity"] = 1.5;
  CHECK_FALSE(T::decode_event("order.placed", json::serialize(bad_item)));
  auto no_customer = v->get_object();
  no_customer.erase("customer_id");
  CHECK_FALSE(T::decode_event("order.placed", json::serialize(no_customer)));

  CHECK_FALSE(T::decode_event("order.paid", R"({})"));
  CHECK_FALSE(T::decode_event("order.paid", R"({"at":"now"})"));
  CHECK_FALSE(T::decode_event("order.paid", R"({"at":1,"key":7})"));
  CHECK_FALSE(T::decode_event("order.paid", R"({"at":1,"key":""})"));
  CHECK(T::decode_event("order.paid", R"({"at":1,"key":"k"})"));
  CHECK_FALSE(T::decode_event("order.shipped", R"({"carrier":"C","at":1})"));
  CHECK_FALSE(T::decode_event("order.cancelled", R"({"reason":"r","from":"lost","at":1})"));
  CHECK_FALSE(T::decode_event("order.cancelled", R"({"reason":"r","at":1})"));
  CHECK_FALSE(T::decode_event("order.customer_bound", R"({"customer_id":null,"at":1})"));

  CHECK_FALSE(T::decode_state(""));
  CHECK_FALSE(T::decode_state("{}"));
  CHECK_FALSE(T::decode_state("null"));
  auto snapshot = T::encode_state(st);
  REQUIRE(T::decode_state(snapshot));
  CHECK_FALSE(T::decode_state(snapshot.substr(0, snapshot.size() - 1)));
  auto corrupt = [&](auto change) {
    auto o = parse_json(snapshot)->get_object();
    change(o);
    return T::decode_state(json::serialize(o)).has_value();
  };
  CHECK(corrupt([](json::object&) {}));
  CHECK_FALSE(corrupt([](json::object& o) { o["status"] = "lost"; }));
  CHECK_FALSE(corrupt([](json::object& o) {
    o["history"] = json::array{json::object{{"status", "x"}, {"at", 1}}};
  }));
  CHECK_FALSE(corrupt([](json::object& o) { o["applied_keys"] = json::array{"a", "a"}; }));
  CHECK_FALSE(corrupt([](json::object& o) { o["applied_keys"] = json::array{""}; }));
  CHECK_FALSE(corrupt([](json::object& o) { o["shipping_address"] = 5; }));
  CHECK_FALSE(corrupt([](json::object& o) { o["carrier"] = 5; }));
  CHECK_FALSE(corrupt([](json::object& o) { o.erase("cancel_reason"); }));
  CHECK_FALSE(corrupt([](json::object& o) { o["items"] = json::object{}; }));
  CHECK_FALSE(corrupt([](json::object& o) { o["version"] = -0.5; }));
}
