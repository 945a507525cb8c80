// The payment entity: recording the gateway's answers, the operations each
// status allows (status × operation table), refund arithmetic, idempotency
// keys, the gateway key, and its codecs.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/payment/payment.hpp"
#include "tests/unit/entity_test_support.hpp"

using namespace agora;
using namespace agora::payment;
using test::ctx;
using keys = std::set<std::string>;

namespace {

using traits = payment_traits;

const std::string payment_id = "3f2e1d0c-9b8a-4f7e-8d6c-5b4a39281706";

runtime::context at(timestamp_us now) {
  return ctx(now, payment_id);
}

open valid_open(std::string key = "") {
  return open{payment_id, "order-1", "chk-1", 10'000, "USD", std::move(key)};
}

state opened_payment() {
  state st;
  test::run<traits>(st, valid_open(), at(1'000));
  return st;
}

state authorized_payment() {
  auto st = opened_payment();
  test::run<traits>(st, record_authorization{true, "auth_1", "", ""}, at(2'000));
  return st;
}

state captured_payment(int64_t amount = 10'000) {
  auto st = authorized_payment();
  test::run<traits>(st, record_capture{true, amount, "cap_1", "", ""}, at(3'000));
  return st;
}

const std::vector<payment_status> all_statuses{
  payment_status::pending,  payment_status::authorized,         payment_status::captured,
  payment_status::voided,   payment_status::partially_refunded, payment_status::refunded,
  payment_status::declined, payment_status::failed};

/// A payment brought to `status` through the commands (never by hand).
state payment_in(payment_status status) {
  switch (status) {
    case payment_status::pending: return opened_payment();
    case payment_status::authorized: return authorized_payment();
    case payment_status::captured: return captured_payment();
    case payment_status::voided: {
      auto st = authorized_payment();
      test::run<traits>(st, record_void{"void_1", ""}, at(4'000));
      return st;
    }
    case payment_status::partially_refunded: {
      auto st = captured_payment();
      test::run<traits>(st, record_refund{4'000, "rfnd_1", ""}, at(4'000));
      return st;
    }
    case payment_status::refunded: {
      auto st = captured_payment();
      test::run<traits>(st, record_refund{10'000, "rfnd_1", ""}, at(4'000));
      return st;
    }
    case payment_status::declined: {
      auto st = opened_payment();
      test::run<traits>(st, record_authorization{false, "auth_1", "insufficient funds", ""},
                        at(2'000));
      return st;
    }
    case payment_status::failed: {
      auto st = authorized_payment();
      test::run<traits>(st, record_capture{false, 10'000, "cap_1", "issuer timeout", ""},
                        at(3'000));
      return st;
    }
  }
  FAIL("unknown status");
  return {};
}

} // namespace

// -- opening ------------------------------------------------------------------

TEST_CASE("opening a payment records it as pending", "[payment]") {
  state st;
  auto evs = test::run<traits>(st, valid_open("chk-1/authorize_payment"), at(1'000));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<opened>(evs[0]) == opened{payment_id, "order-1", "chk-1", 10'000, "USD", 1'000,
                                           "chk-1/authorize_payment"});
  CHECK(st.exists);
  CHECK(st.payment_id == payment_id);
  CHECK(st.order_id == "order-1");
  CHECK(st.checkout_id == "chk-1");
  CHECK(st.amount_cents == 10'000);
  CHECK(st.currency == "USD");
  CHECK(st.status == payment_status::pending);
  CHECK(st.captured_cents == 0);
  CHECK(st.refunded_cents == 0);
  CHECK(st.events.empty());
  CHECK_FALSE(st.failure_reason.has_value());
  CHECK(st.created_at == 1'000);
  CHECK(st.updated_at == 1'000);
  CHECK(st.version == 1);
  CHECK(st.applied("chk-1/authorize_payment"));
}

TEST_CASE("opening validates its fields and happens once", "[payment]") {
  state st;
  auto c = at(1);
  auto check = [&](const open& cmd, std::string_view field) {
    INFO(field);
    test::check_invalid_field(test::reject<traits>(st, cmd, c), field);
  };
  auto x = valid_open();
  x.payment_id = "another-id";
  check(x, "payment_id");
  x = valid_open();
  x.payment_id = "";
  check(x, "payment_id");
  x = valid_open();
  x.order_id = "";
  check(x, "order_id");
  x = valid_open();
  x.checkout_id = "";
  check(x, "checkout_id");
  x = valid_open();
  x.amount_cents = 0;
  check(x, "amount_cents");
  x.amount_cents = -5;
  check(x, "amount_cents");
  x = valid_open();
  x.currency = "usd";
  check(x, "currency");
  x = valid_open(std::string(max_idempotency_key_length + 1, 'k'));
  check(x, "idempotency_key");

  test::run<traits>(st, valid_open("open-k"), at(1));
  CHECK(test::run<traits>(st, valid_open("open-k"), at(2)).empty());
  for (const std::string& key : {std::string(""), std::string("open-other")}) {
    auto p = test::reject<traits>(st, valid_open(key), at(3));
    CHECK(p.code == errc::conflict);
    auto d = test::details(p);
    CHECK(d.at("payment_id") == json::value(payment_id));
    CHECK(d.at("status") == "pending");
    CHECK(d.at("operation") == "open");
  }
}

// -- authorization ------------------------------------------------------------

TEST_CASE("an approved authorization holds the whole amount", "[payment]") {
  auto st = opened_payment();
  auto evs = test::run<traits>(st, record_authorization{true, "auth_1", "ignored", "a-k"},
                               at(2'000));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<authorized>(evs[0]) == authorized{"auth_1", 10'000, 2'000, "a-k"});
  CHECK(st.status == payment_status::authorized);
  CHECK(st.events == std::vector<gateway_event>{{"authorized", 10'000, 2'000, "auth_1"}});
  CHECK(st.updated_at == 2'000);
  CHECK(authorization_ref(st) == "auth_1");
  CHECK(capture_ref(st).empty());
  CHECK(can_capture(st));
  CHECK(can_void(st));
  CHECK(refundable_cents(st) == 0);
}

TEST_CASE("a declined authorization records the reason", "[payment]") {
  auto st = opened_payment();
  auto evs = test::run<traits>(
    st, record_authorization{false, "auth_9", "amount over limit", "a-k"}, at(2'000));
  CHECK(std::get<declined>(evs.at(0)) ==
        declined{"auth_9", "amount over limit", 10'000, 2'000, "a-k"});
  CHECK(st.status == payment_status::declined);
  CHECK(st.failure_reason == std::optional<std::string>{"amount over limit"});
  CHECK(st.events == std::vector<gateway_event>{{"declined", 10'000, 2'000, "auth_9"}});
  CHECK(authorization_ref(st).empty());
  CHECK_FALSE(can_capture(st));
  CHECK_FALSE(can_void(st));

  // Overlong gateway reasons are cut at a character boundary, not rejected.
  auto other = opened_payment();
  std::string reason = "x";
  for (size_t i = 0; i < max_reason_length; ++i)
    reason += "é"; // two bytes each: byte 500 is in the middle of one
  test::run<traits>(other, record_authorization{false, "", reason, ""}, at(2));
  REQUIRE(other.failure_reason);
  CHECK(other.failure_reason->size() == max_reason_length - 1);
  CHECK(reason.compare(0, other.failure_reason->size(), *other.failure_reason) == 0);
  // An overlong gateway reference is a bug of the caller.
  test::check_invalid_field(
    test::reject<traits>(opened_payment(),
                         record_authorization{true, std::string(201, 'r'), "", ""}, at(2)),
    "gateway_ref");
}

TEST_CASE("an authorization that opens the payment records both in one decision", "[payment]") {
  state st;
  auto evs = test::run<traits>(
    st, record_authorization{true, "auth_1", "", "a-k", valid_open("o-k")}, at(2'000));
  REQUIRE(evs.size() == 2);
  CHECK(std::get<opened>(evs[0]) ==
        opened{payment_id, "order-1", "chk-1", 10'000, "USD", 2'000, "o-k"});
  CHECK(std::get<authorized>(evs[1]) == authorized{"auth_1", 10'000, 2'000, "a-k"});
  CHECK(st.status == payment_status::authorized);
  CHECK(st.applied("o-k"));
  CHECK(st.applied("a-k"));
  // Repeated: the payment exists, the opening is not looked at, the key was applied.
  CHECK(test::run<traits>(st, record_authorization{true, "auth_1", "", "a-k", valid_open("o-k")},
                          at(3'000))
          .empty());

  state declining;
  evs = test::run<traits>(declining,
                          record_authorization{false, "auth_9", "no", "", valid_open()}, at(2));
  REQUIRE(evs.size() == 2);
  CHECK(declining.status == payment_status::declined);

  // Once opened, an opening of other figures is ignored: the payment keeps its own.
  auto pending = opened_payment();
  auto other = valid_open();
  other.amount_cents = 1;
  evs = test::run<traits>(pending, record_authorization{true, "auth_2", "", "", other}, at(3));
  REQUIRE(evs.size() == 1);
  CHECK(pending.amount_cents == 10'000);

  // Either half invalid: nothing is decided.
  auto bad_open = valid_open();
  bad_open.amount_cents = 0;
  test::check_invalid_field(
    test::reject<traits>(state{}, record_authorization{true, "auth_1", "", "", bad_open}, at(2)),
    "amount_cents");
  test::check_invalid_field(
    test::reject<traits>(state{},
                         record_authorization{true, std::string(201, 'r'), "", "", valid_open()},
                         at(2)),
    "gateway_ref");
  // Without an opening, a payment never opened is still unknown.
  CHECK(test::reject<traits>(state{}, record_authorization{true, "auth_1", "", ""}, at(2)).code ==
        errc::not_found);
}

// -- capture and void ---------------------------------------------------------

TEST_CASE("capturing all or part of the authorization", "[payment]") {
  auto st = authorized_payment();
  auto evs = test::run<traits>(st, record_capture{true, 7'500, "cap_1", "", "c-k"}, at(3'000));
  CHECK(std::get<captured>(evs.at(0)) == captured{"cap_1", 7'500, 3'000, "c-k"});
  CHECK(st.status == payment_status::captured);
  CHECK(st.captured_cents == 7'500);
  CHECK(capture_ref(st) == "cap_1");
  CHECK(refundable_cents(st) == 7'500);
  CHECK_FALSE(can_void(st));
  CHECK_FALSE(can_capture(st));
  CHECK(st.events.back() == gateway_event{"captured", 7'500, 3'000, "cap_1"});

  auto full = captured_payment();
  CHECK(full.captured_cents == 10'000);

  auto other = authorized_payment();
  test::check_invalid_field(
    test::reject<traits>(other, record_capture{true, 10'001, "cap_1", "", ""}, at(3)),
    "amount_cents");
  test::check_invalid_field(
    test::reject<traits>(other, record_capture{true, 0, "cap_1", "", ""}, at(3)),
    "amount_cents");
  test::check_invalid_field(
    test::reject<traits>(other, record_capture{false, -1, "cap_1", "", ""}, at(3)),
    "amount_cents");
}

TEST_CASE("a failed capture can be retried or voided", "[payment]") {
  auto st = authorized_payment();
  auto evs = test::run<traits>(st, record_capture{false, 10'000, "cap_1", "issuer timeout",
                                                  "pay/capture/1"},
                               at(3'000));
  CHECK(std::get<capture_failed>(evs.at(0)) ==
        capture_failed{"cap_1", "issuer timeout", 10'000, 3'000, "pay/capture/1"});
  CHECK(st.status == payment_status::failed);
  CHECK(st.captured_cents == 0);
  CHECK(st.failure_reason == std::optional<std::string>{"issuer timeout"});
  CHECK(can_capture(st));
  CHECK(can_void(st));
  CHECK(authorization_ref(st) == "auth_1"); // still the authorization's reference

  // The saga's next attempt (a new attempt group) succeeds.
  auto retried = st;
  test::run<traits>(retried, record_capture{true, 10'000, "cap_2", "", "pay/capture/2"},
                    at(4'000));
  CHECK(retried.status == payment_status::captured);
  CHECK(retried.captured_cents == 10'000);
  CHECK_FALSE(retried.failure_reason.has_value());
  CHECK(capture_ref(retried) == "cap_2");
  CHECK(retried.events.size() == 3);

  // Or the saga gives up and voids the authorization.
  test::run<traits>(st, record_void{"void_1", ""}, at(4'000));
  CHECK(st.status == payment_status::voided);
}

TEST_CASE("voiding releases an uncaptured authorization", "[payment]") {
  auto st = authorized_payment();
  auto evs = test::run<traits>(st, record_void{"void_1", "chk-1/authorize_payment/undo"},
                               at(4'000));
  CHECK(std::get<voided>(evs.at(0)) ==
        voided{"void_1", 10'000, 4'000, "chk-1/authorize_payment/undo"});
  CHECK(st.status == payment_status::voided);
  CHECK(st.events.back() == gateway_event{"voided", 10'000, 4'000, "void_1"});
  CHECK_FALSE(can_void(st));
  CHECK_FALSE(can_capture(st));
  CHECK(refundable_cents(st) == 0);
}

// -- the status × operation table ----------------------------------------------

TEST_CASE("every recording command from every status: allowed or conflict", "[payment]") {
  // What each (status, operation) pair gives; refunds of a fully refunded
  // payment exceed what is refundable (0).
  enum class outcome { ok, conflict, exceeds };
  using s = payment_status;
  const std::map<std::string_view, std::set<s>> allowed{
    {op_authorize, {s::pending}},
    {op_capture, {s::authorized, s::failed}},
    {op_void, {s::authorized, s::failed}},
    {op_refund, {s::captured, s::partially_refunded}},
  };
  auto command_for = [](std::string_view op) -> command {
    if (op == op_authorize)
      return record_authorization{true, "auth_x", "", ""};
    if (op == op_capture)
      return record_capture{true, 1'000, "cap_x", "", ""};
    if (op == op_void)
      return record_void{"void_x", ""};
    return record_refund{1'000, "rfnd_x", ""};
  };
  size_t ok = 0;
  size_t conflicts = 0;
  for (auto status : all_statuses)
    for (const auto& [op, from] : allowed) {
      INFO(to_string(status) << " " << op);
      auto expected = from.count(status) ? outcome::ok : outcome::conflict;
      if (op == op_refund && status == s::refunded)
        expected = outcome::exceeds;
      const auto before = payment_in(status);
      auto decided = traits::decide(before, command_for(op), at(9'000));
      switch (expected) {
        case outcome::ok:
          REQUIRE(decided.has_value());
          CHECK(decided->size() == 1);
          ++ok;
          break;
        case outcome::conflict: {
          REQUIRE_FALSE(decided.has_value());
          CHECK(decided.error().code == errc::conflict);
          auto d = test::details(decided.error());
          CHECK(d.at("payment_id") == json::value(payment_id));
          CHECK(d.at("status") == json::value(to_string(status)));
          CHECK(d.at("operation") == json::value(op));
          ++conflicts;
          break;
        }
        case outcome::exceeds:
          REQUIRE_FALSE(decided.has_value());
          CHECK(decided.error().code == errc::refund_exceeds_captured);
          CHECK(test::details(decided.error()).at("refundable") == 0);
          break;
      }
    }
  CHECK(ok == 7);
  CHECK(conflicts == 24);
}

TEST_CASE("recording to a payment never opened is not_found; reading never fails",
          "[payment]") {
  state st;
  for (const command& cmd :
       {command{record_authorization{true, "a", "", ""}},
        command{record_capture{true, 1, "c", "", ""}}, command{record_void{"v", ""}},
        command{record_refund{1, "r", ""}}, command{record_refund{1, "r", "k"}}}) {
    auto p = test::reject<traits>(st, cmd, at(1));
    CHECK(p.code == errc::not_found);
    CHECK(test::details(p).at("payment_id") == json::value(payment_id));
  }
  CHECK(test::run<traits>(st, get{}, at(1)).empty());
  CHECK_FALSE(st.exists);
  CHECK(check_refund(st, 1)->code == errc::not_found);
  st = captured_payment();
  CHECK(test::run<traits>(st, get{}, at(2)).empty());
}

// -- refunds ------------------------------------------------------------------

TEST_CASE("refunds add up to the captured amount and no further", "[payment]") {
  auto st = captured_payment(8'000);
  CHECK(refundable_cents(st) == 8'000);
  CHECK_FALSE(check_refund(st, 8'000).has_value());

  auto evs = test::run<traits>(st, record_refund{3'000, "rfnd_1", "r-1"}, at(5'000));
  CHECK(std::get<refunded>(evs.at(0)) == refunded{"rfnd_1", 3'000, 5'000, "r-1"});
  CHECK(st.status == payment_status::partially_refunded);
  CHECK(st.refunded_cents == 3'000);
  CHECK(refundable_cents(st) == 5'000);

  // More than what is left: 422 with the numbers.
  auto p = test::reject<traits>(st, record_refund{5'001, "rfnd_2", ""}, at(6'000));
  CHECK(p.code == errc::refund_exceeds_captured);
  auto d = test::details(p);
  CHECK(d.at("payment_id") == json::value(payment_id));
  CHECK(d.at("requested") == 5'001);
  CHECK(d.at("refundable") == 5'000);
  CHECK(check_refund(st, 5'001) == p);

  test::run<traits>(st, record_refund{4'999, "rfnd_2", ""}, at(6'000));
  CHECK(st.status == payment_status::partially_refunded);
  CHECK(refundable_cents(st) == 1);
  test::run<traits>(st, record_refund{1, "rfnd_3", ""}, at(7'000));
  CHECK(st.status == payment_status::refunded);
  CHECK(st.refunded_cents == 8'000);
  CHECK(refundable_cents(st) == 0);
  CHECK(st.events.size() == 5);
  CHECK(st.events.back() == gateway_event{"refunded", 1, 7'000, "rfnd_3"});

  // Nothing is left: even one cent exceeds.
  auto p2 = test::reject<traits>(st, record_refund{1, "rfnd_4", ""}, at(8'000));
  CHECK(p2.code == errc::refund_exceeds_captured);
  CHECK(test::details(p2).at("refundable") == 0);

  // A refund is a positive amount.
  auto partial = captured_payment();
  test::check_invalid_field(test::reject<traits>(partial, record_refund{0, "r", ""}, at(9)),
                            "amount_cents");
  test::check_invalid_field(test::reject<traits>(partial, record_refund{-100, "r", ""}, at(9)),
                            "amount_cents");
  // A single refund of everything goes straight to refunded.
  test::run<traits>(partial, record_refund{10'000, "r", ""}, at(9));
  CHECK(partial.status == payment_status::refunded);
}

// -- idempotency --------------------------------------------------------------

TEST_CASE("a repeated idempotency key on a payment decides nothing", "[payment]") {
  state st;
  test::run<traits>(st, valid_open("k-open"), at(1));
  test::run<traits>(st, record_authorization{true, "auth_1", "", "k-auth"}, at(2));
  CHECK(test::run<traits>(st, record_authorization{true, "auth_1", "", "k-auth"}, at(3))
          .empty());
  test::run<traits>(st, record_capture{true, 10'000, "cap_1", "", "k-cap"}, at(4));
  CHECK(test::run<traits>(st, record_capture{true, 10'000, "cap_1", "", "k-cap"}, at(5))
          .empty());
  test::run<traits>(st, record_refund{6'000, "rfnd_1", "k-refund"}, at(6));
  // The same refund retried does not refund twice, though it would now exceed.
  CHECK(test::run<traits>(st, record_refund{6'000, "rfnd_1", "k-refund"}, at(7)).empty());
  CHECK(st.refunded_cents == 6'000);
  CHECK(st.version == 4);
  CHECK(st.applied_keys.oldest_first() == std::deque<std::string>{"k-open", "k-auth", "k-cap", "k-refund"});
  // Without a key the refund is a new one.
  CHECK(test::reject<traits>(st, record_refund{6'000, "rfnd_2", ""}, at(8)).code ==
        errc::refund_exceeds_captured);

  auto voiding = authorized_payment();
  test::run<traits>(voiding, record_void{"void_1", "k-void"}, at(4));
  CHECK(test::run<traits>(voiding, record_void{"void_1", "k-void"}, at(5)).empty());
  CHECK(voiding.events.size() == 2);
}

TEST_CASE("a payment remembers the newest 1000 keys", "[payment]") {
  auto st = captured_payment();
  auto key = [](size_t i) {
    std::string k = "refund-";
    k += std::to_string(i);
    return k;
  };
  for (size_t i = 0; i <= max_applied_keys; ++i)
    test::run<traits>(st, record_refund{1, "r", key(i)}, at(10'000 + static_cast<int64_t>(i)));
  CHECK(st.refunded_cents == static_cast<int64_t>(max_applied_keys) + 1);
  CHECK(st.applied_keys.size() == max_applied_keys);
  CHECK_FALSE(st.applied(key(0)));
  CHECK(st.applied(key(1)));
  // The forgotten key refunds again; a remembered one does not.
  CHECK(test::run<traits>(st, record_refund{1, "r", key(1)}, at(20'000)).empty());
  CHECK(test::run<traits>(st, record_refund{1, "r", key(0)}, at(20'000)).size() == 1);
  test::check_state_round_trip<traits>(st);
}

// -- helpers ------------------------------------------------------------------

TEST_CASE("the gateway idempotency key names payment, operation and attempt group",
          "[payment]") {
  CHECK(gateway_key("pay-1", op_authorize, 1) == "pay-1/authorize/1");
  CHECK(gateway_key(payment_id, op_refund, 12) == payment_id + "/refund/12");
  CHECK(gateway_key("p", "capture", 0) == "p/capture/0");
  CHECK(gateway_key("p", op_capture, 1) != gateway_key("p", op_capture, 2));
  CHECK(gateway_key("p", op_capture, 1) != gateway_key("p", op_void, 1));
}

TEST_CASE("payment status names", "[payment]") {
  for (auto s : all_statuses)
    CHECK(parse_payment_status(to_string(s)) == std::optional<payment_status>{s});
  CHECK(to_string(payment_status::partially_refunded) == "partially_refunded");
  CHECK_FALSE(parse_payment_status("settled").has_value());
}

// -- codec --------------------------------------------------------------------

TEST_CASE("payment events and snapshots round-trip", "[codec][payment]") {
  const std::string tricky = "Quote \" backslash \\ newline \n ünïcødé 😀 </script>";
  std::vector<event> history;
  state st;
  timestamp_us now = 1'700'000'000'000'000;
  for (const command& c : {command{valid_open("k-open")},
                           command{record_authorization{true, "auth_1", "", ""}},
                           command{record_capture{false, 9'000, "cap_1", tricky, "k-c1"}},
                           command{record_capture{true, 9'000, "cap_2", "", "k-c2"}},
                           command{record_refund{4'000, "rfnd_1", ""}},
                           command{record_refund{5'000, "rfnd_2", "k-r2"}}}) {
    auto evs = test::run<traits>(st, c, at(now += 1'234));
    history.insert(history.end(), evs.begin(), evs.end());
  }
  REQUIRE(history.size() == 6);
  auto final_state = test::check_history<traits>(history);
  CHECK(final_state == st);
  CHECK(final_state.status == payment_status::refunded);

  std::vector<event> declined_history{history[0], declined{"auth_2", tricky, 10'000, 9, ""}};
  CHECK(test::check_history<traits>(declined_history).failure_reason ==
        std::optional<std::string>{tricky});
  std::vector<event> voided_history{history[0], history[1], voided{"void_1", 10'000, 9, "v"}};
  CHECK(test::check_history<traits>(voided_history).status == payment_status::voided);
}

TEST_CASE("payment payloads have their documented fields", "[codec][payment]") {
  using T = payment_traits;
  opened o{"p", "o", "c", 100, "USD", 1, "k"};
  CHECK(T::event_type(o) == "payment.opened");
  CHECK(test::keys_of(T::encode_event(o)) ==
        keys{"payment_id", "order_id", "checkout_id", "amount_cents", "currency", "at", "key"});
  const keys answer{"gateway_ref", "amount_cents", "at"};
  const keys failure{"gateway_ref", "reason", "amount_cents", "at"};
  CHECK(T::event_type(authorized{}) == "payment.authorized");
  CHECK(test::keys_of(T::encode_event(authorized{"a", 1, 2, ""})) == answer);
  CHECK(T::event_type(declined{}) == "payment.declined");
  CHECK(test::keys_of(T::encode_event(declined{"a", "r", 1, 2, ""})) == failure);
  CHECK(T::event_type(captured{}) == "payment.captured");
  CHECK(test::keys_of(T::encode_event(captured{"c", 1, 2, ""})) == answer);
  CHECK(T::event_type(capture_failed{}) == "payment.capture_failed");
  CHECK(test::keys_of(T::encode_event(capture_failed{"c", "r", 1, 2, ""})) == failure);
  CHECK(T::event_type(voided{}) == "payment.voided");
  CHECK(test::keys_of(T::encode_event(voided{"v", 1, 2, ""})) == answer);
  CHECK(T::event_type(refunded{}) == "payment.refunded");
  CHECK(T::encode_event(refunded{"r", 250, 3, "k"}) ==
        R"({"gateway_ref":"r","amount_cents":250,"at":3,"key":"k"})");
}

TEST_CASE("payment decoding rejects garbage and corrupt snapshots", "[codec][payment]") {
  using T = payment_traits;
  auto good = T::encode_event(opened{"p", "o", "c", 100, "USD", 1, ""});
  REQUIRE(T::decode_event("payment.opened", good));
  CHECK_FALSE(T::decode_event("payment.unknown", good));
  CHECK_FALSE(T::decode_event("order.placed", good));
  CHECK_FALSE(T::decode_event("payment.opened", ""));
  CHECK_FALSE(T::decode_event("payment.opened", "{"));
  CHECK_FALSE(T::decode_event("payment.opened", "[]"));
  CHECK_FALSE(T::decode_event("payment.opened", "\xff\xfe"));
  CHECK_FALSE(T::decode_event("payment.opened", R"({"payment_id":"p"})"));
  CHECK_FALSE(T::decode_event("payment.opened", R"({"payment_id":"p","order_id":"o",)"
                                                R"("checkout_id":"c","amount_cents":"100",)"
                                                R"("currency":"USD","at":1})"));
  CHECK_FALSE(T::decode_event("payment.captured", R"({"gateway_ref":"c","at":1})"));
  CHECK_FALSE(T::decode_event("payment.captured",
                              R"({"gateway_ref":"c","amount_cents":1.5,"at":1})"));
  CHECK_FALSE(T::decode_event("payment.declined",
                              R"({"gateway_ref":"c","amount_cents":1,"at":1})")); // no reason
  CHECK_FALSE(T::decode_event("payment.refunded",
                              R"({"gateway_ref":"c","amount_cents":1,"at":1,"key":1})"));
  CHECK(T::decode_event("payment.refunded", R"({"gateway_ref":"c","amount_cents":1,"at":1})"));

  CHECK_FALSE(T::decode_state(""));
  CHECK_FALSE(T::decode_state("{}"));
  CHECK_FALSE(T::decode_state("null"));
  auto snapshot = T::encode_state(captured_payment());
  REQUIRE(T::decode_state(snapshot));
  CHECK_FALSE(T::decode_state(snapshot.substr(0, snapshot.size() - 1)));
  auto corrupt = [&](auto change) {
    auto o = parse_json(snapshot)->get_object();
    change(o);
    return T::decode_state(json::serialize(o)).has_value();
  };
  CHECK(corrupt([](json::object&) {}));
  CHECK_FALSE(corrupt([](json::object& o) { o["status"] = "settled"; }));
  CHECK_FALSE(corrupt([](json::object& o) { o["refunded_cents"] = 10'001; }));
  CHECK_FALSE(corrupt([](json::object& o) { o["captured_cents"] = 10'001; }));
  CHECK_FALSE(corrupt([](json::object& o) { o["captured_cents"] = -1; }));
  CHECK_FALSE(corrupt([](json::object& o) { o["events"] = json::array{1}; }));
  CHECK_FALSE(corrupt([](json::object& o) { o["applied_keys"] = json::array{"a", "a"}; }));
  CHECK_FALSE(corrupt([](json::object& o) { o.erase("failure_reason"); }));
  CHECK_FALSE(corrupt([](json::object& o) { o["exists"] = 1; }));
}
