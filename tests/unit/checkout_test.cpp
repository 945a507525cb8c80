// The checkout saga entity: start, the forward path through the seven steps,
// retries and giving up, compensation in reverse, stuck sagas (resume,
// close), stale records, the per-step bookkeeping, its codecs and replay().
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/order/order_json.hpp"
#include "sagas/checkout.hpp"
#include "tests/unit/entity_test_support.hpp"

using namespace agora;
using namespace agora::checkout;
using test::ctx;
using keys = std::set<std::string>;
using Catch::Matchers::Contains;

namespace {

using traits = checkout_traits;

const std::string checkout_id = "7d3f1a2b-0c4e-4f5a-9b6c-8d7e6f5a4b3c";

/// The address as the HTTP handler passes it: canonical object text (the
/// saga stores it as given; the codec writes it back in canonical form).
const std::string address_text = json::serialize(
  *parse_json(R"({"name":"Ada Lovelace","line1":"12 St James's Sq","city":"London",)"
              R"("postal_code":"SW1Y 4JH","country":"GB","lat":51.5074,"lon":-0.1338})"));

/// Text that needs escaping in JSON, and non-ASCII.
const std::string tricky = "Quote \" backslash \\ newline \n ünïcødé 😀";

constexpr std::array<step_name, step_count> forward_steps{
  step_name::price_cart,      step_name::reserve_inventory, step_name::authorize_payment,
  step_name::place_order,     step_name::capture_payment,   step_name::commit_inventory,
  step_name::close_cart,
};

runtime::context at(timestamp_us now) {
  return ctx(now, checkout_id);
}

start valid_start() {
  start cmd;
  cmd.cart_id = "cart-1";
  cmd.order_id = "order-1";
  cmd.payment_id = "pay-1";
  cmd.shipping_address = address_text;
  cmd.payment_token = "tok_visa";
  return cmd; // a guest checkout: price_cart binds the customer
}

/// What price_cart fixes: 2 × 1,250 + 999 + 500 shipping, for cust-7.
priced sample_priced() {
  priced p;
  p.customer_id = "cust-7";
  p.items = {order::item{"SKU-A", "Widget", 2, 1'250, 2'500},
             order::item{"SKU-B", tricky, 1, 999, 999}};
  p.subtotal_cents = 3'499;
  p.shipping_cents = 500;
  p.total_cents = 3'999;
  p.currency = "EUR";
  return p;
}

/// A problem as a step would report it, with details.
problem failure(errc code, std::string message) {
  json::object details;
  details["why"] = "test";
  details["n"] = 3;
  return make_problem(code, std::move(message), json::serialize(details));
}

verdict verdict_of(const event& ev) {
  return std::get<step_attempted>(ev).verdict;
}

/// A checkout driven through decide() the way the runner drives it: every
/// reply answers what next_action() asks for; the events are kept as the
/// journal would keep them.
struct saga {
  state st;
  std::vector<event> history;
  timestamp_us now = 1'000;
  int max_attempts = 3;

  explicit saga(const start& cmd = valid_start()) { exec(cmd); }

  /// Decides `cmd` at `now` (which then moves on by 10), folds and records.
  std::vector<event> exec(const command& cmd) {
    auto evs = test::run<traits>(st, cmd, at(now));
    history.insert(history.end(), evs.begin(), evs.end());
    now += 10;
    return evs;
  }

  /// When the last command was decided.
  timestamp_us last_at() const { return now - 10; }

  action asked() const {
    auto a = next_action(st);
    REQUIRE(a.what == action::kind::run);
    return a;
  }

  reply answer(bool ok) const {
    auto a = asked();
    reply r;
    r.step = a.step;
    r.phase = a.phase;
    r.attempt = a.attempt;
    r.ok = ok;
    r.started_at = now - 3;
    if (ok && a.phase == phase::forward && a.step == step_name::price_cart)
      r.priced = sample_priced();
    return r;
  }

  std::vector<event> succeed() { return exec(record{answer(true), max_attempts}); }

  std::vector<event> fail(errc code, bool retryable, bool definite = true) {
    auto r = answer(false);
    r.error = failure(code, std::string(to_string(r.step)) + " said no");
    r.retryable = retryable;
    r.definite = definite;
    return exec(record{r, max_attempts});
  }

  /// Succeeds forward steps until `step` is the one asked for.
  void advance_to(step_name step) {
    while (st.current != step) {
      REQUIRE(st.phase == phase::forward);
      REQUIRE(st.status == saga_status::running);
      succeed();
    }
    REQUIRE(next_action(st) == action{action::kind::run, step, phase::forward, 1});
  }

  /// Fails the asked step retryably until it is given up; returns the last events.
  std::vector<event> fail_until_given_up(errc code = errc::unavailable) {
    for (;;) {
      auto evs = fail(code, true);
      if (verdict_of(evs.front()) == verdict::give_up)
        return evs;
      REQUIRE(verdict_of(evs.front()) == verdict::retry);
    }
  }
};

/// The steps compensated after `failed` was given up before the pivot, in order.
std::vector<step_name> compensation_order(step_name failed) {
  std::vector<step_name> out;
  for (auto i = static_cast<int>(failed); i >= 0; --i)
    if (has_compensation(static_cast<step_name>(i)))
      out.push_back(static_cast<step_name>(i));
  return out;
}

/// A saga stuck after commit_inventory was given up (3 attempts).
saga stuck_after_pivot() {
  saga s;
  s.advance_to(step_name::commit_inventory);
  s.fail_until_given_up();
  REQUIRE(s.st.status == saga_status::stuck);
  return s;
}

/// A saga stuck compensating place_order (place_order failed, its
/// cancellation failed 3 times).
saga stuck_compensating() {
  saga s;
  s.advance_to(step_name::place_order);
  s.fail(errc::unavailable, false);
  REQUIRE(next_action(s.st) ==
          action{action::kind::run, step_name::place_order, phase::compensating, 1});
  s.fail_until_given_up();
  REQUIRE(s.st.status == saga_status::stuck);
  return s;
}

} // namespace

// -- names ----------------------------------------------------------------------

TEST_CASE("checkout names, keys and which steps compensate", "[checkout]") {
  const std::array<std::string_view, step_count> names{
    "price_cart",      "reserve_inventory", "authorize_payment", "place_order",
    "capture_payment", "commit_inventory",  "close_cart"};
  for (size_t i = 0; i < step_count; ++i) {
    CHECK(to_string(forward_steps[i]) == names[i]);
    CHECK(parse_step_name(names[i]) == std::optional<step_name>{forward_steps[i]});
  }
  CHECK_FALSE(parse_step_name("pay").has_value());
  CHECK_FALSE(parse_step_name("").has_value());
  CHECK(pivot == step_name::capture_payment);

  std::set<step_name> compensable;
  for (auto s : forward_steps)
    if (has_compensation(s))
      compensable.insert(s);
  CHECK(compensable == std::set<step_name>{step_name::price_cart, step_name::reserve_inventory,
                                           step_name::authorize_payment,
                                           step_name::place_order});

  for (auto s : {saga_status::running, saga_status::completed, saga_status::compensated,
                 saga_status::stuck, saga_status::failed})
    CHECK(parse_saga_status(to_string(s)) == std::optional<saga_status>{s});
  CHECK(to_string(saga_status::compensated) == "compensated");
  CHECK_FALSE(parse_saga_status("done").has_value());
  CHECK(to_string(step_status::pending) == "pending");
  CHECK(to_string(step_status::running) == "running");
  CHECK(to_string(step_status::done) == "done");
  CHECK(to_string(step_status::failed) == "failed");
  CHECK(to_string(step_status::compensated) == "compensated");
  CHECK(to_string(phase::forward) == "forward");
  CHECK(to_string(phase::compensating) == "compensating");
  CHECK(to_string(verdict::done) == "done");
  CHECK(to_string(verdict::retry) == "retry");
  CHECK(to_string(verdict::give_up) == "give_up");

  CHECK(step_key("chk-1", step_name::capture_payment) == "chk-1/capture_payment");
  CHECK(step_key(checkout_id, step_name::price_cart) == checkout_id + "/price_cart");
}

TEST_CASE("describe says what the runner is asked to do", "[checkout]") {
  CHECK(describe(action{}) == "nothing (finished)");
  CHECK(describe(action{action::kind::run, step_name::reserve_inventory, phase::forward, 2}) ==
        "run reserve_inventory attempt 2");
  CHECK(describe(action{action::kind::run, step_name::place_order, phase::compensating, 1}) ==
        "compensate place_order attempt 1");
  CHECK(describe(action{action::kind::wait_operator, step_name::commit_inventory,
                        phase::forward, 0}) ==
        "wait for an operator at commit_inventory (forward)");
}

// -- start ----------------------------------------------------------------------

TEST_CASE("starting a checkout records it and asks for price_cart", "[checkout]") {
  state st;
  CHECK(next_action(st).what == action::kind::finished); // nothing to do yet
  auto evs = test::run<traits>(st, valid_start(), at(1'000));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<started>(evs[0]) == started{checkout_id, "cart-1", "order-1", "pay-1",
                                             std::nullopt, address_text, "tok_visa", 1'000,
                                             std::nullopt, "", false});
  CHECK(st.exists);
  CHECK(st.checkout_id == checkout_id);
  CHECK(st.cart_id == "cart-1");
  CHECK(st.order_id == "order-1");
  CHECK(st.payment_id == "pay-1");
  CHECK_FALSE(st.customer_id.has_value());
  CHECK(st.shipping_address == address_text);
  CHECK(st.payment_token == "tok_visa");
  CHECK(st.status == saga_status::running);
  CHECK(st.phase == phase::forward);
  CHECK(st.current == step_name::price_cart);
  CHECK_FALSE(st.terminal());
  CHECK(st.started_at == 1'000);
  CHECK(st.updated_at == 1'000);
  CHECK_FALSE(st.finished_at.has_value());
  CHECK(st.version == 1);
  CHECK(st.at(step_name::price_cart).status == step_status::running);
  CHECK(st.at(step_name::price_cart).started_at == 1'000);
  for (size_t i = 1; i < step_count; ++i) {
    INFO(to_string(forward_steps[i]));
    CHECK(st.at(forward_steps[i]) == step_state{});
  }
  CHECK(next_action(st) == action{action::kind::run, step_name::price_cart, phase::forward, 1});

  // A customer's checkout carries the customer from the start.
  auto cmd = valid_start();
  cmd.customer_id = "cust-1";
  state bound;
  evs = test::run<traits>(bound, cmd, at(5));
  CHECK(std::get<started>(evs[0]).customer_id == std::optional<std::string>{"cust-1"});
  CHECK(bound.customer_id == std::optional<std::string>{"cust-1"});
}

TEST_CASE("start validates its ids and happens once", "[checkout]") {
  state empty;
  for (auto blank : {&start::cart_id, &start::order_id, &start::payment_id}) {
    auto cmd = valid_start();
    cmd.*blank = "";
    test::check_invalid_field(test::reject<traits>(empty, cmd, at(1)), "cart_id");
  }

  saga s;
  auto before = s.st;
  // The same start again (a retried POST) decides nothing.
  CHECK(test::run<traits>(s.st, valid_start(), at(2'000)).empty());
  CHECK(s.st == before);
  // Another cart or another order under the same id is a conflict.
  auto other_cart = valid_start();
  other_cart.cart_id = "cart-2";
  auto p = test::reject<traits>(s.st, other_cart, at(2'000));
  CHECK(p.code == errc::conflict);
  CHECK_THAT(p.message, Contains(checkout_id));
  auto other_order = valid_start();
  other_order.order_id = "order-2";
  CHECK(test::reject<traits>(s.st, other_order, at(2'000)).code == errc::conflict);

  // Even a finished checkout answers a repeated start with nothing.
  for (int i = 0; i < 7; ++i)
    s.succeed();
  REQUIRE(s.st.status == saga_status::completed);
  CHECK(test::run<traits>(s.st, valid_start(), at(9'000)).empty());
  CHECK(test::reject<traits>(s.st, other_order, at(9'000)).code == errc::conflict);
}

TEST_CASE("a start with a stock refusal records a refused checkout in one append",
          "[checkout]") {
  auto cmd = valid_start();
  cmd.refused = make_problem(errc::out_of_stock, "SKU A: requested 2, available 1",
                             R"({"sku":"A","requested":2,"available":1})");
  state st;
  auto evs = test::run<traits>(st, cmd, at(1'000));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<started>(evs[0]).refused == cmd.refused);
  CHECK(traits::event_type(evs[0]) == "checkout.refused");

  // Ended: nothing for a runner to do, no step ran, reserve_inventory failed once.
  CHECK(st.status == saga_status::compensated);
  CHECK(st.terminal());
  CHECK(next_action(st).what == action::kind::finished);
  CHECK(st.reason == std::optional<std::string>{"out_of_stock"});
  CHECK(st.failure == cmd.refused);
  CHECK(st.finished_at == std::optional<timestamp_us>{1'000});
  CHECK(st.at(step_name::price_cart).status == step_status::pending);
  const auto& reserve = st.at(step_name::reserve_inventory);
  CHECK(reserve.status == step_status::failed);
  CHECK(reserve.attempts == 1);
  CHECK(reserve.error == cmd.refused);
  CHECK((reserve.started_at == 1'000 && reserve.finished_at == 1'000));
  for (auto step : forward_steps)
    if (step != step_name::reserve_inventory)
      CHECK(st.at(step).attempts == 0);

  // A repeated start decides nothing; records are stale; it replays, and
  // survives its codec and a snapshot.
  CHECK(test::run<traits>(st, cmd, at(2'000)).empty());
  reply r;
  r.ok = true;
  CHECK(test::reject<traits>(st, record{r, 3}, at(2'000)).code == errc::conflict);
  CHECK(replay(evs).at_event == -1);
  CHECK(test::check_history<traits>(evs) == st);

  // A refusal journaled in two rows before (checkout.started with the
  // refusal, then checkout.compensated) reads back as the same checkout and
  // replays as the one event.
  auto started_row = traits::decode_event("checkout.started", traits::encode_event(evs[0]));
  REQUIRE(started_row);
  std::vector<event> older{*started_row, compensated{"out_of_stock", 1'000}};
  auto older_st = test::check_history<traits>(older);
  older_st.version = st.version;
  CHECK(older_st == st);
  auto rep = replay(older);
  CHECK(rep.at_event == -1);
  CHECK(rep.events == 2);
  // Only that pair: another compensation after it is recorded where today's
  // code decides nothing.
  older[1] = compensated{"payment_failed", 1'000};
  rep = replay(older);
  CHECK(rep.at_event == 1);
  CHECK_THAT(rep.divergence, Contains("checkout.compensated"));
}

TEST_CASE("a keyed checkout's record is the key's memory", "[checkout]") {
  const std::string hash(64, 'a');
  auto keyed = valid_start();
  keyed.request_hash = hash;
  keyed.waits = true;

  // The start records the digest and the wait; a repeat decides nothing,
  // whatever its ids or digest (the HTTP layer answers it from the state).
  state st;
  auto evs = test::run<traits>(st, keyed, at(1'000));
  REQUIRE(evs.size() == 1);
  CHECK(std::get<started>(evs[0]).request_hash == hash);
  CHECK(std::get<started>(evs[0]).waits);
  CHECK(st.request_hash == hash);
  CHECK(st.waits);
  auto repeat = keyed;
  repeat.order_id = "order-2";
  repeat.request_hash = std::string(64, 'b');
  CHECK(test::run<traits>(st, repeat, at(2'000)).empty());
  CHECK(st.order_id == "order-1");
  // A rejection under a key already used for a checkout decides nothing.
  CHECK(test::run<traits>(st, reject{hash, 409, "{}"}, at(2'000)).empty());
  CHECK(st.rejected_status == 0);
  CHECK(replay(evs).at_event == -1);
  CHECK(test::check_history<traits>(evs) == st);

  // A 4xx recorded before any checkout: no checkout exists, and a start
  // under that key afterwards starts nothing.
  state rejected_st;
  auto rej = test::run<traits>(rejected_st, reject{hash, 409, R"({"body":"x"})"}, at(3'000));
  REQUIRE(rej.size() == 1);
  CHECK(std::get<rejected>(rej[0]) == rejected{hash, 409, R"({"body":"x"})", 3'000});
  CHECK_FALSE(rejected_st.exists);
  CHECK(rejected_st.rejected_status == 409);
  CHECK(rejected_st.request_hash == hash);
  CHECK(next_action(rejected_st).what == action::kind::finished);
  CHECK(test::run<traits>(rejected_st, keyed, at(4'000)).empty());
  CHECK(test::run<traits>(rejected_st, reject{hash, 404, "{}"}, at(4'000)).empty());
  CHECK_FALSE(rejected_st.exists);
  CHECK(replay(rej).at_event == -1);
  CHECK(test::check_history<traits>(rej) == rejected_st);

  // Only a 4xx under a digest is recorded.
  state empty;
  test::check_invalid_field(test::reject<traits>(empty, reject{"", 409, "{}"}, at(1)),
                            "request_hash");
  for (int status : {200, 399, 500})
    test::check_invalid_field(test::reject<traits>(empty, reject{hash, status, "{}"}, at(1)),
                              "status");
}

TEST_CASE("commands to a checkout that does not exist are not_found", "[checkout]") {
  state st;
  reply r;
  r.ok = true;
  r.priced = sample_priced();
  for (const command& cmd : {command{record{r, 3}}, command{resume{"ops"}},
                             command{checkout::close{"ops", "by hand"}}}) {
    auto p = test::reject<traits>(st, cmd, at(1));
    CHECK(p.code == errc::not_found);
    CHECK(test::details(p).at("checkout_id") == json::value(checkout_id));
  }
  CHECK(test::run<traits>(st, get{}, at(1)).empty());
  CHECK_FALSE(st.exists);
}

// -- the forward path -----------------------------------------------------------

TEST_CASE("the happy path runs the seven steps in order and completes", "[checkout]") {
  saga s;
  timestamp_us previous_done = 1'000; // the start
  for (size_t i = 0; i < step_count; ++i) {
    auto step = forward_steps[i];
    INFO(to_string(step));
    CHECK(next_action(s.st) == action{action::kind::run, step, phase::forward, 1});
    CHECK(s.st.current == step);
    CHECK(s.st.at(step).status == step_status::running);
    CHECK(s.st.at(step).started_at == previous_done);
    for (size_t j = 0; j < i; ++j)
      CHECK(s.st.at(forward_steps[j]).status == step_status::done);
    for (size_t j = i + 1; j < step_count; ++j)
      CHECK(s.st.at(forward_steps[j]).status == step_status::pending);

    auto evs = s.succeed();
    bool last = i + 1 == step_count;
    REQUIRE(evs.size() == (last ? 2u : 1u));
    const auto& attempted = std::get<step_attempted>(evs[0]);
    CHECK(attempted.verdict == verdict::done);
    CHECK(attempted.reply.step == step);
    CHECK(attempted.reply.attempt == 1);
    CHECK(attempted.at == s.last_at());
    const auto& done = s.st.at(step);
    CHECK(done.status == step_status::done);
    CHECK(done.attempts == 1);
    CHECK(done.compensation_attempts == 0);
    CHECK(done.finished_at == s.last_at());
    CHECK(done.started_at == previous_done);
    CHECK_FALSE(done.error.has_value());
    CHECK_FALSE(done.uncertain);
    CHECK(s.st.attempts_since_resume == 0);
    if (!last)
      CHECK(s.st.status == saga_status::running);
    previous_done = s.last_at();
  }
  REQUIRE(s.history.size() == 9);
  CHECK(std::get<completed>(s.history.back()) == completed{s.last_at()});
  CHECK(s.st.status == saga_status::completed);
  CHECK(s.st.terminal());
  CHECK(s.st.finished_at == std::optional<timestamp_us>{s.last_at()});
  CHECK(s.st.updated_at == s.last_at());
  CHECK(s.st.version == 9);
  CHECK(s.st.phase == phase::forward);
  CHECK(s.st.current == step_name::close_cart);
  CHECK_FALSE(s.st.reason.has_value());
  CHECK_FALSE(s.st.failure.has_value());
  CHECK(next_action(s.st).what == action::kind::finished);
  // price_cart fixed the lines and bound the guest checkout to the customer.
  CHECK(s.st.priced == std::optional<priced>{sample_priced()});
  CHECK(s.st.customer_id == std::optional<std::string>{"cust-7"});

  // Nothing more is accepted: every record is stale, a get decides nothing.
  reply late;
  late.step = step_name::close_cart;
  late.attempt = 2;
  late.ok = true;
  CHECK(test::reject<traits>(s.st, record{late, 3}, at(s.now)).code == errc::conflict);
  CHECK(test::run<traits>(s.st, get{}, at(s.now)).empty());
}

TEST_CASE("a successful price_cart must carry the priced cart", "[checkout]") {
  saga s;
  auto r = s.answer(true);
  r.priced.reset();
  test::check_invalid_field(test::reject<traits>(s.st, record{r, 3}, at(s.now)), "priced");
  // A failed price_cart carries none.
  auto evs = s.fail(errc::unavailable, true);
  CHECK(verdict_of(evs[0]) == verdict::retry);
  CHECK_FALSE(s.st.priced.has_value());
}

TEST_CASE("a retryable failure is retried with the next attempt number", "[checkout]") {
  saga s;
  s.advance_to(step_name::reserve_inventory);
  auto evs = s.fail(errc::unavailable, true, false); // a timeout
  REQUIRE(evs.size() == 1);
  const auto& attempted = std::get<step_attempted>(evs[0]);
  CHECK(attempted.verdict == verdict::retry);
  CHECK(attempted.reply.attempt == 1);
  const auto& step = s.st.at(step_name::reserve_inventory);
  CHECK(step.status == step_status::running);
  CHECK(step.attempts == 1);
  CHECK(step.uncertain);
  REQUIRE(step.error.has_value());
  CHECK(step.error->code == errc::unavailable);
  CHECK(step.finished_at == 0);
  CHECK(s.st.attempts_since_resume == 1);
  CHECK(s.st.status == saga_status::running);
  CHECK(s.st.phase == phase::forward);
  CHECK(next_action(s.st) ==
        action{action::kind::run, step_name::reserve_inventory, phase::forward, 2});

  evs = s.succeed();
  REQUIRE(evs.size() == 1);
  CHECK(verdict_of(evs[0]) == verdict::done);
  CHECK(std::get<step_attempted>(evs[0]).reply.attempt == 2);
  CHECK(s.st.at(step_name::reserve_inventory).status == step_status::done);
  CHECK(s.st.at(step_name::reserve_inventory).attempts == 2);
  CHECK_FALSE(s.st.at(step_name::reserve_inventory).uncertain);
  CHECK_FALSE(s.st.at(step_name::reserve_inventory).error.has_value());
  // The next step starts with a fresh count.
  CHECK(s.st.attempts_since_resume == 0);
  CHECK(next_action(s.st) ==
        action{action::kind::run, step_name::authorize_payment, phase::forward, 1});
}

TEST_CASE("a step is given up after max_attempts retryable failures", "[checkout]") {
  for (int max : {1, 2, 3, 5}) {
    INFO("max_attempts " << max);
    saga s;
    s.max_attempts = max;
    s.advance_to(step_name::place_order);
    for (int attempt = 1; attempt <= max; ++attempt) {
      INFO("attempt " << attempt);
      CHECK(next_action(s.st) ==
            action{action::kind::run, step_name::place_order, phase::forward, attempt});
      auto evs = s.fail(errc::unavailable, true);
      CHECK(verdict_of(evs[0]) == (attempt < max ? verdict::retry : verdict::give_up));
    }
    CHECK(s.st.at(step_name::place_order).status == step_status::failed);
    CHECK(s.st.at(step_name::place_order).attempts == max);
    CHECK(s.st.phase == phase::compensating);
  }
}

TEST_CASE("a non-retryable failure is given up at once", "[checkout]") {
  saga s;
  s.advance_to(step_name::reserve_inventory);
  auto evs = s.fail(errc::out_of_stock, false);
  REQUIRE(evs.size() == 1); // compensation follows, nothing ends yet
  CHECK(verdict_of(evs[0]) == verdict::give_up);
  const auto& step = s.st.at(step_name::reserve_inventory);
  CHECK(step.status == step_status::failed);
  CHECK(step.attempts == 1);
  CHECK(step.finished_at == s.last_at());
  REQUIRE(step.error.has_value());
  CHECK(step.error->code == errc::out_of_stock);
  CHECK(s.st.status == saga_status::running);
  CHECK(s.st.phase == phase::compensating);
  CHECK(s.st.reason == std::optional<std::string>{"out_of_stock"});
  CHECK(s.st.attempts_since_resume == 0);
  // The failed step is compensated first (its effect may be partial).
  CHECK(next_action(s.st) ==
        action{action::kind::run, step_name::reserve_inventory, phase::compensating, 1});
}

// -- compensation ---------------------------------------------------------------

TEST_CASE("giving up before the pivot compensates in reverse and ends compensated",
          "[checkout]") {
  struct failing {
    step_name step;
    errc code;
    std::string reason;
  };
  for (const auto& f : {failing{step_name::price_cart, errc::cart_empty, "cart_empty"},
                        failing{step_name::reserve_inventory, errc::out_of_stock, "out_of_stock"},
                        failing{step_name::authorize_payment, errc::payment_declined,
                                "payment_declined"},
                        failing{step_name::place_order, errc::invalid_request, "invalid_request"},
                        failing{step_name::capture_payment, errc::payment_declined,
                                "payment_declined"}}) {
    INFO("failing " << to_string(f.step));
    saga s;
    s.advance_to(f.step);
    auto failed_at = s.now;
    s.fail(f.code, false);
    REQUIRE(s.st.phase == phase::compensating);
    CHECK(s.st.reason == std::optional<std::string>{f.reason});

    auto order = compensation_order(f.step);
    REQUIRE_FALSE(order.empty());
    // capture_payment has no compensation: its failure starts at place_order.
    CHECK(order.front() ==
          (f.step == step_name::capture_payment ? step_name::place_order : f.step));
    for (size_t k = 0; k < order.size(); ++k) {
      auto step = order[k];
      INFO("compensating " << to_string(step));
      CHECK(s.st.status == saga_status::running);
      CHECK(s.st.current == step);
      CHECK(next_action(s.st) == action{action::kind::run, step, phase::compensating, 1});
      auto evs = s.succeed();
      bool last = k + 1 == order.size();
      REQUIRE(evs.size() == (last ? 2u : 1u));
      CHECK(verdict_of(evs[0]) == verdict::done);
      CHECK(std::get<step_attempted>(evs[0]).reply.phase == phase::compensating);
      CHECK(s.st.at(step).compensation_attempts == 1);
      CHECK(s.st.at(step).status ==
            (step == f.step ? step_status::failed : step_status::compensated));
      if (last)
        CHECK(std::get<compensated>(evs[1]) == compensated{f.reason, s.last_at()});
    }
    CHECK(s.st.status == saga_status::compensated);
    CHECK(s.st.terminal());
    CHECK(s.st.finished_at == std::optional<timestamp_us>{s.last_at()});
    CHECK(next_action(s.st).what == action::kind::finished);
    REQUIRE(s.st.failure.has_value());
    CHECK(s.st.failure->code == *parse_errc(f.reason));
    CHECK(s.st.failure->message == std::string(to_string(f.step)) + " said no");
    // Steps without compensation, and steps never reached, are left alone.
    for (auto step : forward_steps) {
      INFO(to_string(step));
      if (static_cast<int>(step) > static_cast<int>(f.step))
        CHECK(s.st.at(step) == step_state{});
      else if (!has_compensation(step))
        CHECK(s.st.at(step).compensation_attempts == 0);
    }
    CHECK(s.st.at(f.step).finished_at == failed_at);
    CHECK(s.st.at(f.step).status == step_status::failed);
  }
}

TEST_CASE("the saga's reason is the failed step's code; payment failures become payment_failed",
          "[checkout]") {
  struct row {
    step_name step;
    std::optional<errc> code; // nullopt: a reply without an error
    std::string reason;
  };
  for (const auto& r : {
         row{step_name::price_cart, errc::cart_empty, "cart_empty"},
         row{step_name::price_cart, errc::product_unavailable, "product_unavailable"},
         row{step_name::reserve_inventory, errc::out_of_stock, "out_of_stock"},
         row{step_name::reserve_inventory, std::nullopt, "unavailable"},
         row{step_name::authorize_payment, errc::payment_declined, "payment_declined"},
         row{step_name::authorize_payment, errc::unavailable, "payment_failed"},
         row{step_name::authorize_payment, errc::internal, "payment_failed"},
         row{step_name::authorize_payment, std::nullopt, "payment_failed"},
         row{step_name::place_order, errc::conflict, "conflict"},
         row{step_name::capture_payment, errc::payment_declined, "payment_declined"},
         row{step_name::capture_payment, errc::payment_failed, "payment_failed"},
         row{step_name::capture_payment, errc::unavailable, "payment_failed"},
       }) {
    INFO(to_string(r.step) << " " << (r.code ? to_string(*r.code) : "no error"));
    saga s;
    s.advance_to(r.step);
    auto rep = s.answer(false);
    if (r.code)
      rep.error = failure(*r.code, "the message stays");
    s.exec(record{rep, 3});
    CHECK(s.st.reason == std::optional<std::string>{r.reason});
    if (r.code) {
      REQUIRE(s.st.failure.has_value());
      CHECK(s.st.failure->code == *parse_errc(r.reason));
      CHECK(s.st.failure->message == "the message stays");
      CHECK(s.st.failure->details == rep.error->details);
      // The step keeps the error as it was reported.
      CHECK(s.st.at(r.step).error == rep.error);
    } else {
      CHECK_FALSE(s.st.failure.has_value());
    }
    while (s.st.status == saga_status::running)
      s.succeed();
    CHECK(s.st.status == saga_status::compensated);
    CHECK(std::get<compensated>(s.history.back()).reason == r.reason);
  }
}

TEST_CASE("a compensation is retried with its own attempt numbers", "[checkout]") {
  saga s;
  s.advance_to(step_name::authorize_payment);
  s.fail(errc::unavailable, true);
  s.fail(errc::unavailable, true); // forward attempts 1 and 2
  s.fail(errc::payment_declined, false);
  REQUIRE(s.st.at(step_name::authorize_payment).attempts == 3);
  CHECK(next_action(s.st) ==
        action{action::kind::run, step_name::authorize_payment, phase::compensating, 1});
  auto evs = s.fail(errc::unavailable, true); // the void timed out
  CHECK(verdict_of(evs[0]) == verdict::retry);
  CHECK(s.st.at(step_name::authorize_payment).compensation_attempts == 1);
  CHECK(s.st.at(step_name::authorize_payment).attempts == 3);
  CHECK(s.st.attempts_since_resume == 1);
  CHECK(next_action(s.st) ==
        action{action::kind::run, step_name::authorize_payment, phase::compensating, 2});
  s.succeed();
  CHECK(s.st.at(step_name::authorize_payment).compensation_attempts == 2);
  CHECK(s.st.attempts_since_resume == 0);
  // The next compensation gets fresh attempts too.
  CHECK(next_action(s.st) ==
        action{action::kind::run, step_name::reserve_inventory, phase::compensating, 1});
  s.fail(errc::unavailable, true);
  s.fail(errc::unavailable, true);
  s.succeed();
  CHECK(s.st.at(step_name::reserve_inventory).status == step_status::compensated);
  CHECK(s.st.at(step_name::reserve_inventory).compensation_attempts == 3);
  evs = s.succeed(); // price_cart: reopen the cart
  REQUIRE(evs.size() == 2);
  CHECK(std::get<compensated>(evs[1]).reason == "payment_declined");
}

// -- stuck sagas ----------------------------------------------------------------

TEST_CASE("giving up after the pivot leaves the saga stuck", "[checkout]") {
  for (auto step : {step_name::commit_inventory, step_name::close_cart}) {
    INFO(to_string(step));
    saga s;
    s.advance_to(step);
    s.fail(errc::unavailable, true);
    s.fail(errc::unavailable, true);
    auto evs = s.fail(errc::unavailable, true);
    REQUIRE(evs.size() == 2);
    CHECK(verdict_of(evs[0]) == verdict::give_up);
    CHECK(std::get<checkout::stuck>(evs[1]) ==
          checkout::stuck{std::string(to_string(step)) + " keeps failing: " +
                            std::string(to_string(step)) + " said no",
                          s.last_at()});
    CHECK(s.st.status == saga_status::stuck);
    CHECK(s.st.stuck_reason == std::get<checkout::stuck>(evs[1]).reason);
    CHECK_FALSE(s.st.terminal());
    CHECK_FALSE(s.st.finished_at.has_value());
    // Money was taken: no compensation, no saga reason.
    CHECK(s.st.phase == phase::forward);
    CHECK(s.st.current == step);
    CHECK_FALSE(s.st.reason.has_value());
    CHECK(s.st.at(step).status == step_status::failed);
    CHECK(s.st.at(step_name::capture_payment).status == step_status::done);
    CHECK(next_action(s.st) == action{action::kind::wait_operator, step, phase::forward, 0});
    // While stuck, the runner's records are stale.
    reply r;
    r.step = step;
    r.attempt = 4;
    r.ok = true;
    CHECK(test::reject<traits>(s.st, record{r, 3}, at(s.now)).code == errc::conflict);
  }
  // A non-retryable failure after the pivot is stuck at once.
  saga s;
  s.advance_to(step_name::close_cart);
  auto evs = s.fail(errc::conflict, false);
  REQUIRE(evs.size() == 2);
  CHECK(std::holds_alternative<checkout::stuck>(evs[1]));
  CHECK(s.st.status == saga_status::stuck);
}

TEST_CASE("resume gives the stuck step a fresh set of attempts", "[checkout]") {
  auto s = stuck_after_pivot();
  auto evs = s.exec(resume{"ops@agora"});
  REQUIRE(evs.size() == 1);
  CHECK(std::get<resumed>(evs[0]) == resumed{"ops@agora", s.last_at()});
  CHECK(s.st.status == saga_status::running);
  CHECK_FALSE(s.st.stuck_reason.has_value());
  CHECK(s.st.attempts_since_resume == 0);
  CHECK(s.st.updated_at == s.last_at());
  // Attempt numbers go on; the budget starts again.
  CHECK(next_action(s.st) ==
        action{action::kind::run, step_name::commit_inventory, phase::forward, 4});
  CHECK(verdict_of(s.fail(errc::unavailable, true)[0]) == verdict::retry);
  CHECK(s.st.at(step_name::commit_inventory).status == step_status::running);
  CHECK(verdict_of(s.fail(errc::unavailable, true)[0]) == verdict::retry);
  evs = s.fail(errc::unavailable, true);
  CHECK(verdict_of(evs[0]) == verdict::give_up);
  CHECK(std::get<step_attempted>(evs[0]).reply.attempt == 6);
  CHECK(s.st.status == saga_status::stuck);

  // Resumed again, it succeeds and the saga completes.
  s.exec(resume{"ops@agora"});
  CHECK(next_action(s.st) ==
        action{action::kind::run, step_name::commit_inventory, phase::forward, 7});
  s.succeed();
  CHECK(s.st.at(step_name::commit_inventory).status == step_status::done);
  CHECK(s.st.at(step_name::commit_inventory).attempts == 7);
  CHECK_FALSE(s.st.at(step_name::commit_inventory).error.has_value());
  evs = s.succeed();
  REQUIRE(evs.size() == 2);
  CHECK(std::holds_alternative<completed>(evs[1]));
  CHECK(s.st.status == saga_status::completed);
}

TEST_CASE("a compensation that gives up leaves the saga stuck until resumed", "[checkout]") {
  auto s = stuck_compensating();
  const auto& last = s.history.back();
  REQUIRE(std::holds_alternative<checkout::stuck>(last));
  CHECK(std::get<checkout::stuck>(last).reason ==
        "compensation of place_order keeps failing: place_order said no");
  CHECK(s.st.phase == phase::compensating);
  CHECK(s.st.current == step_name::place_order);
  CHECK(s.st.reason == std::optional<std::string>{"unavailable"});
  CHECK(s.st.at(step_name::place_order).compensation_attempts == 3);
  CHECK(next_action(s.st) ==
        action{action::kind::wait_operator, step_name::place_order, phase::compensating, 0});

  // A non-retryable compensation failure is stuck at once.
  saga once;
  once.advance_to(step_name::reserve_inventory);
  once.fail(errc::out_of_stock, false);
  auto evs = once.fail(errc::internal, false);
  REQUIRE(evs.size() == 2);
  CHECK(verdict_of(evs[0]) == verdict::give_up);
  CHECK(std::holds_alternative<checkout::stuck>(evs[1]));

  // Resumed, the compensation is tried again and the rest follows.
  s.exec(resume{"ops"});
  CHECK(next_action(s.st) ==
        action{action::kind::run, step_name::place_order, phase::compensating, 4});
  s.succeed();
  CHECK(next_action(s.st) ==
        action{action::kind::run, step_name::authorize_payment, phase::compensating, 1});
  s.succeed();
  s.succeed();
  evs = s.succeed();
  REQUIRE(evs.size() == 2);
  CHECK(std::get<compensated>(evs[1]).reason == "unavailable");
  CHECK(s.st.status == saga_status::compensated);
}

TEST_CASE("an operator closes a stuck saga: it ends failed", "[checkout]") {
  for (auto s : {stuck_after_pivot(), stuck_compensating()}) {
    auto evs = s.exec(checkout::close{"ops@agora", "refunded by hand"});
    REQUIRE(evs.size() == 1);
    CHECK(std::get<closed>(evs[0]) == closed{"ops@agora", "refunded by hand", s.last_at()});
    CHECK(s.st.status == saga_status::failed);
    CHECK(s.st.terminal());
    CHECK(s.st.closed_reason == std::optional<std::string>{"refunded by hand"});
    CHECK_FALSE(s.st.stuck_reason.has_value());
    CHECK(s.st.finished_at == std::optional<timestamp_us>{s.last_at()});
    CHECK(next_action(s.st).what == action::kind::finished);
    auto p = test::reject<traits>(s.st, resume{"ops"}, at(s.now));
    CHECK(p.code == errc::conflict);
    CHECK(test::details(p).at("status") == json::value("failed"));
  }
}

TEST_CASE("resume and close need a stuck saga", "[checkout]") {
  auto check_refused = [](const state& st, std::string_view status) {
    INFO(status);
    for (const command& cmd : {command{resume{"ops"}}, command{checkout::close{"ops", "x"}}}) {
      auto p = test::reject<traits>(st, cmd, at(99'000));
      CHECK(p.code == errc::conflict);
      auto d = test::details(p);
      CHECK(d.at("status") == json::value(status));
      CHECK(d.at("checkout_id") == json::value(checkout_id));
    }
  };
  saga running;
  check_refused(running.st, "running");
  running.advance_to(step_name::capture_payment);
  check_refused(running.st, "running");

  saga done;
  while (!done.st.terminal())
    done.succeed();
  check_refused(done.st, "completed");

  saga undone;
  undone.fail(errc::cart_empty, false);
  undone.succeed();
  REQUIRE(undone.st.status == saga_status::compensated);
  check_refused(undone.st, "compensated");

  // Resumed, it is running again: a second resume is refused.
  auto waiting = stuck_after_pivot();
  waiting.exec(resume{"ops"});
  check_refused(waiting.st, "running");
}

// -- stale records --------------------------------------------------------------

TEST_CASE("records that are not what next_action asks for are conflicts", "[checkout]") {
  saga s;
  s.advance_to(step_name::reserve_inventory);
  s.fail(errc::unavailable, true); // now: reserve_inventory attempt 2
  auto expected = next_action(s.st);
  REQUIRE(expected == action{action::kind::run, step_name::reserve_inventory, phase::forward, 2});
  auto good = s.answer(true);

  auto check_stale = [&](reply r, std::string_view what) {
    INFO(what);
    auto p = test::reject<traits>(s.st, record{r, 3}, at(s.now));
    CHECK(p.code == errc::conflict);
    CHECK_THAT(p.message, Contains(std::string(to_string(r.step)) + " attempt " +
                                   std::to_string(r.attempt)));
    auto d = test::details(p);
    CHECK(d.at("checkout_id") == json::value(checkout_id));
    CHECK(d.at("expected") == json::value("run reserve_inventory attempt 2"));
  };
  auto r = good;
  r.step = step_name::price_cart;
  r.priced = sample_priced();
  check_stale(r, "an earlier step");
  r = good;
  r.step = step_name::authorize_payment;
  check_stale(r, "a later step");
  r = good;
  r.phase = phase::compensating;
  check_stale(r, "the other phase");
  r = good;
  r.attempt = 1;
  check_stale(r, "the previous attempt, delivered twice");
  r = good;
  r.attempt = 3;
  check_stale(r, "an attempt not asked for yet");
  // The right one is accepted.
  CHECK(test::run<traits>(s.st, record{good, 3}, at(s.now)).size() == 1);

  // While compensating, a forward record is stale.
  saga c;
  c.advance_to(step_name::authorize_payment);
  c.fail(errc::payment_declined, false);
  auto fwd = c.answer(true);
  fwd.phase = phase::forward;
  fwd.attempt = 2;
  auto p = test::reject<traits>(c.st, record{fwd, 3}, at(c.now));
  CHECK(p.code == errc::conflict);
  CHECK(test::details(p).at("expected") == json::value("compensate authorize_payment attempt 1"));
}

// -- bookkeeping ----------------------------------------------------------------

TEST_CASE("definite gateway failures and uncertain outcomes are tracked per step",
          "[checkout]") {
  saga s;
  s.max_attempts = 10;
  s.advance_to(step_name::authorize_payment);
  const auto& step = s.st.at(step_name::authorize_payment);

  s.fail(errc::payment_failed, true, true); // the gateway said "failed"
  CHECK(step.definite_failures == 1);
  CHECK_FALSE(step.uncertain);
  s.fail(errc::unavailable, true, false); // a timeout: it may have happened
  CHECK(step.definite_failures == 1);
  CHECK(step.uncertain);
  s.fail(errc::payment_failed, true, true);
  CHECK(step.definite_failures == 2);
  CHECK_FALSE(step.uncertain);
  s.fail(errc::unavailable, true, false);
  CHECK(step.uncertain);
  CHECK(step.attempts == 4);
  s.succeed();
  CHECK(step.status == step_status::done);
  CHECK(step.attempts == 5);
  CHECK(step.definite_failures == 2);
  CHECK_FALSE(step.uncertain);
  // Counters are per step: the next one starts clean.
  CHECK(s.st.at(step_name::place_order).definite_failures == 0);

  // A decline is definite but not retryable: no further gateway call, not counted.
  saga declined;
  declined.advance_to(step_name::authorize_payment);
  declined.fail(errc::payment_declined, false, true);
  CHECK(declined.st.at(step_name::authorize_payment).definite_failures == 0);
  CHECK_FALSE(declined.st.at(step_name::authorize_payment).uncertain);

  // A capture that timed out on its last attempt stays uncertain while the
  // compensations run (authorize_payment's refunds what it may have taken).
  saga timed_out;
  timed_out.advance_to(step_name::capture_payment);
  for (int i = 0; i < 3; ++i)
    timed_out.fail(errc::unavailable, true, false);
  CHECK(timed_out.st.at(step_name::capture_payment).status == step_status::failed);
  CHECK(timed_out.st.at(step_name::capture_payment).uncertain);
  CHECK(timed_out.st.at(step_name::capture_payment).definite_failures == 0);
  CHECK(timed_out.st.reason == std::optional<std::string>{"payment_failed"});
  CHECK(next_action(timed_out.st) ==
        action{action::kind::run, step_name::place_order, phase::compensating, 1});
}

// -- codecs ---------------------------------------------------------------------

TEST_CASE("every checkout event round-trips through its journal payload",
          "[checkout][codec]") {
  using T = traits;
  started full{checkout_id, "cart-1", "order-1", "pay-1", "cust-1", address_text, tricky,
               1'700'000'000'000'001, std::nullopt, "", false};
  test::check_event_round_trip<T>(full);
  test::check_event_round_trip<T>(
    started{"c", "k", "o", "p", std::nullopt, "", "", 0, std::nullopt, "", false});

  reply r;
  r.step = step_name::price_cart;
  r.ok = true;
  r.priced = sample_priced();
  r.started_at = 1'700'000'000'000'000;
  test::check_event_round_trip<T>(step_attempted{r, verdict::done, 1'700'000'000'000'100});
  auto guest = sample_priced();
  guest.customer_id.reset();
  guest.items.clear();
  r.priced = guest;
  test::check_event_round_trip<T>(step_attempted{r, verdict::done, 5});

  reply bad;
  bad.step = step_name::capture_payment;
  bad.phase = phase::compensating;
  bad.attempt = 12;
  bad.ok = false;
  bad.error = failure(errc::payment_failed, tricky);
  bad.retryable = true;
  bad.definite = false;
  bad.started_at = 77;
  test::check_event_round_trip<T>(step_attempted{bad, verdict::retry, 78});
  bad.error = make_problem(errc::out_of_stock, "");
  bad.retryable = false;
  bad.definite = true;
  test::check_event_round_trip<T>(step_attempted{bad, verdict::give_up, 79});
  bad.error.reset();
  test::check_event_round_trip<T>(step_attempted{bad, verdict::give_up, 80});

  test::check_event_round_trip<T>(completed{42});
  test::check_event_round_trip<T>(compensated{"out_of_stock", 43});
  test::check_event_round_trip<T>(checkout::stuck{tricky, 44});
  test::check_event_round_trip<T>(resumed{"ops@agora", 45});
  test::check_event_round_trip<T>(closed{"ops@agora", tricky, 46});
  test::check_event_round_trip<T>(closed{"", "", 0});
  test::check_event_round_trip<T>(started{checkout_id, "cart-1", "order-1", "pay-1", "cust-1",
                                          address_text, "t", 7, std::nullopt,
                                          std::string(64, 'f'), true});
  test::check_event_round_trip<T>(rejected{std::string(64, 'f'), 409, tricky, 8});
  // A refused start, its details and message with characters to escape.
  test::check_event_round_trip<T>(started{
    checkout_id, "cart-1", "order-1", "pay-1", std::nullopt, address_text, tricky, 9,
    make_problem(errc::out_of_stock, tricky, R"({"sku":"A \"1\"","requested":2,"available":0})"),
    std::string(64, 'e'), true});
}

TEST_CASE("checkout payloads have their documented fields", "[checkout][codec]") {
  using T = traits;
  started s{checkout_id, "cart-1", "order-1", "pay-1", std::nullopt, address_text, "tok", 1,
            std::nullopt, "", false};
  CHECK(T::event_type(s) == "checkout.started");
  CHECK(test::keys_of(T::encode_event(s)) ==
        keys{"checkout_id", "cart_id", "order_id", "payment_id", "customer_id",
             "shipping_address", "payment_token", "at"});
  // The address is an object in the payload, not a string; no customer is null.
  auto v = parse_json(T::encode_event(s));
  REQUIRE(v);
  REQUIRE(v->get_object().at("shipping_address").is_object());
  CHECK(v->get_object().at("shipping_address").get_object().at("city") == "London");
  CHECK(v->get_object().at("customer_id").is_null());
  // A refusal, written as text: what json::serialize writes for the same
  // members; the address and the details as the objects they are.
  started refused{checkout_id, "cart-1", "order-1", "pay-1", "cust-1",
                  R"({"name":"A","city":"B"})", "tok", 2,
                  make_problem(errc::out_of_stock, "SKU \"A\"", R"({"sku":"A","available":0})"),
                  std::string(64, 'f'), true};
  CHECK(T::event_type(refused) == "checkout.refused");
  json::object address{{"name", "A"}, {"city", "B"}};
  json::object problem_value{{"code", "out_of_stock"}, {"message", "SKU \"A\""},
                             {"details", json::object{{"sku", "A"}, {"available", 0}}}};
  json::object expected{{"checkout_id", checkout_id}, {"cart_id", "cart-1"},
                        {"order_id", "order-1"},      {"payment_id", "pay-1"},
                        {"customer_id", "cust-1"},    {"shipping_address", address},
                        {"payment_token", "tok"},     {"at", 2},
                        {"refused", problem_value},   {"request_hash", std::string(64, 'f')},
                        {"waits", true}};
  CHECK(T::encode_event(refused) == json::serialize(expected));
  // Details that are not an object text are written as {}.
  refused.refused->details = "oops";
  v = parse_json(T::encode_event(refused));
  REQUIRE(v);
  CHECK(v->get_object().at("refused").get_object().at("details") == json::object{});
  // The address as address_value has it: null while empty, text if not an object.
  for (std::string text : {std::string{}, std::string{"not an object"}}) {
    refused.shipping_address = text;
    v = parse_json(T::encode_event(refused));
    REQUIRE(v);
    CHECK(v->get_object().at("shipping_address") == order::address_value(text));
  }

  reply r;
  r.step = step_name::reserve_inventory;
  r.attempt = 2;
  r.error = failure(errc::out_of_stock, "none left");
  step_attempted a{r, verdict::give_up, 9};
  CHECK(T::event_type(a) == "checkout.step_attempted");
  const keys attempted{"step", "phase", "attempt", "ok", "retryable", "definite",
                       "error", "started_at", "verdict", "at"};
  CHECK(test::keys_of(T::encode_event(a)) == attempted);
  v = parse_json(T::encode_event(a));
  REQUIRE(v);
  const auto& o = v->get_object();
  CHECK(o.at("step") == "reserve_inventory");
  CHECK(o.at("phase") == "forward");
  CHECK(o.at("attempt") == 2);
  CHECK(o.at("verdict") == "give_up");
  REQUIRE(o.at("error").is_object());
  CHECK(o.at("error").get_object().at("code") == "out_of_stock");
  CHECK(o.at("error").get_object().at("message") == "none left");
  CHECK(o.at("error").get_object().at("details").get_object().at("why") == "test");
  // "priced" only when price_cart carried it.
  r.error.reset();
  r.ok = true;
  r.step = step_name::price_cart;
  r.priced = sample_priced();
  auto with_priced = test::keys_of(T::encode_event(step_attempted{r, verdict::done, 9}));
  CHECK(with_priced.count("priced") == 1);
  v = parse_json(T::encode_event(step_attempted{r, verdict::done, 9}));
  REQUIRE(v);
  CHECK(test::keys_of(json::serialize(v->get_object().at("priced"))) ==
        keys{"customer_id", "items", "subtotal_cents", "shipping_cents", "total_cents",
             "currency"});
  CHECK(v->get_object().at("error").is_null());

  CHECK(T::event_type(completed{}) == "checkout.completed");
  CHECK(T::encode_event(completed{5}) == R"({"at":5})");
  CHECK(T::event_type(compensated{}) == "checkout.compensated");
  CHECK(T::encode_event(compensated{"cart_empty", 5}) == R"({"reason":"cart_empty","at":5})");
  CHECK(T::event_type(checkout::stuck{}) == "checkout.stuck");
  CHECK(test::keys_of(T::encode_event(checkout::stuck{"x", 5})) == keys{"reason", "at"});
  CHECK(T::event_type(resumed{}) == "checkout.resumed");
  CHECK(T::encode_event(resumed{"ops", 5}) == R"({"by":"ops","at":5})");
  CHECK(T::event_type(closed{}) == "checkout.closed");
  CHECK(test::keys_of(T::encode_event(closed{"ops", "x", 5})) == keys{"by", "reason", "at"});
  // With an Idempotency-Key: the digest and the wait; and the rejection.
  s.request_hash = "h";
  CHECK(test::keys_of(T::encode_event(s)) ==
        keys{"checkout_id", "cart_id", "order_id", "payment_id", "customer_id",
             "shipping_address", "payment_token", "at", "request_hash", "waits"});
  CHECK(T::event_type(rejected{}) == "checkout.request_rejected");
  CHECK(T::encode_event(rejected{"h", 404, "r", 5}) ==
        R"({"request_hash":"h","status":404,"response":"r","at":5})");
}

TEST_CASE("checkout decoding rejects malformed payloads", "[checkout][codec]") {
  using T = traits;
  reply r;
  r.step = step_name::authorize_payment;
  r.attempt = 2;
  r.error = failure(errc::unavailable, "down");
  auto good = T::encode_event(step_attempted{r, verdict::retry, 9});
  REQUIRE(T::decode_event("checkout.step_attempted", good));

  /// `good` with `key` replaced by `value` (JSON text), or removed when empty.
  auto with = [](const std::string& text, std::string_view key, std::string_view value) {
    auto v = parse_json(text);
    REQUIRE(v);
    auto o = v->get_object();
    if (value.empty())
      o.erase(key);
    else
      o[key] = *parse_json(value);
    return json::serialize(o);
  };
  for (std::string_view key :
       {"step", "phase", "attempt", "ok", "retryable", "definite", "error", "started_at",
        "verdict", "at"}) {
    INFO("without " << key);
    CHECK_FALSE(T::decode_event("checkout.step_attempted", with(good, key, "")));
  }
  const std::pair<std::string_view, std::string_view> bad_values[] = {
    {"step", R"("pay")"},
    {"step", "3"},
    {"phase", R"("backward")"},
    {"attempt", "0"},
    {"attempt", "-1"},
    {"attempt", "1.5"},
    {"attempt", R"("2")"},
    {"ok", "1"},
    {"definite", "null"},
    {"verdict", R"("maybe")"},
    {"at", R"("now")"},
    {"error", R"("down")"},
    {"error", R"({"code":"no_such_code","message":"m","details":{}})"},
    {"error", R"({"code":"unavailable","details":{}})"},
    {"error", R"({"code":"unavailable","message":"m"})"},
    {"error", R"({"code":"unavailable","message":"m","details":[]})"},
    {"priced", "[]"},
    {"priced", R"({"customer_id":null,"items":[],"subtotal_cents":1,"shipping_cents":0,)"
               R"("currency":"EUR"})"},
    {"priced", R"({"customer_id":null,"items":[{"sku":"A"}],"subtotal_cents":1,)"
               R"("shipping_cents":0,"total_cents":1,"currency":"EUR"})"},
    {"priced", R"({"items":[],"subtotal_cents":1,"shipping_cents":0,"total_cents":1,)"
               R"("currency":"EUR"})"},
  };
  for (const auto& [key, value] : bad_values) {
    INFO(key << " = " << value);
    CHECK_FALSE(T::decode_event("checkout.step_attempted", with(good, key, value)));
  }
  // A null error and a null priced are fine.
  CHECK(T::decode_event("checkout.step_attempted", with(good, "error", "null")));
  CHECK(T::decode_event("checkout.step_attempted", with(good, "priced", "null")));

  auto start_text = T::encode_event(
    started{checkout_id, "cart-1", "order-1", "pay-1", std::nullopt, address_text, "t", 1,
            std::nullopt, "", false});
  REQUIRE(T::decode_event("checkout.started", start_text));
  for (std::string_view key : {"checkout_id", "cart_id", "order_id", "payment_id", "customer_id",
                               "shipping_address", "payment_token", "at"}) {
    INFO("started without " << key);
    CHECK_FALSE(T::decode_event("checkout.started", with(start_text, key, "")));
  }
  CHECK_FALSE(T::decode_event("checkout.started", with(start_text, "customer_id", "7")));
  CHECK_FALSE(T::decode_event("checkout.started", with(start_text, "shipping_address", "[]")));
  CHECK_FALSE(T::decode_event("checkout.started", with(start_text, "cart_id", "null")));
  // checkout.refused is a start that carries its refusal.
  CHECK_FALSE(T::decode_event("checkout.refused", start_text));
  CHECK(T::decode_event("checkout.refused",
                        with(start_text, "refused",
                             R"({"code":"out_of_stock","message":"m","details":{}})")));
  // The refusal is optional; when present it is a problem.
  CHECK(T::decode_event("checkout.started",
                        with(start_text, "refused",
                             R"({"code":"out_of_stock","message":"m","details":{}})")));
  CHECK_FALSE(T::decode_event("checkout.started", with(start_text, "refused", R"("sold out")")));
  CHECK_FALSE(T::decode_event("checkout.started",
                              with(start_text, "refused", R"({"code":"gone","message":"m",)"
                                                          R"("details":{}})")));

  // The key's digest and wait come together, the digest not empty.
  CHECK(T::decode_event("checkout.started",
                        with(with(start_text, "request_hash", R"("h")"), "waits", "false")));
  CHECK_FALSE(T::decode_event("checkout.started", with(start_text, "request_hash", R"("h")")));
  CHECK_FALSE(T::decode_event("checkout.started", with(start_text, "waits", "true")));
  CHECK_FALSE(T::decode_event("checkout.started",
                              with(with(start_text, "request_hash", R"("")"), "waits", "true")));
  CHECK_FALSE(T::decode_event("checkout.started",
                              with(with(start_text, "request_hash", "7"), "waits", "true")));
  auto rejected_text = T::encode_event(rejected{"h", 409, "r", 5});
  REQUIRE(T::decode_event("checkout.request_rejected", rejected_text));
  for (std::string_view key : {"request_hash", "status", "response", "at"}) {
    INFO("rejected without " << key);
    CHECK_FALSE(T::decode_event("checkout.request_rejected", with(rejected_text, key, "")));
  }
  for (std::string_view status : {"200", "500", R"("409")"})
    CHECK_FALSE(
      T::decode_event("checkout.request_rejected", with(rejected_text, "status", status)));
  CHECK_FALSE(
    T::decode_event("checkout.request_rejected", with(rejected_text, "request_hash", R"("")")));

  CHECK_FALSE(T::decode_event("checkout.completed", "{}"));
  CHECK_FALSE(T::decode_event("checkout.completed", R"({"at":"5"})"));
  CHECK_FALSE(T::decode_event("checkout.compensated", R"({"at":5})"));
  CHECK_FALSE(T::decode_event("checkout.compensated", R"({"reason":7,"at":5})"));
  CHECK_FALSE(T::decode_event("checkout.stuck", R"({"reason":"x"})"));
  CHECK_FALSE(T::decode_event("checkout.resumed", R"({"at":5})"));
  CHECK_FALSE(T::decode_event("checkout.closed", R"({"by":"ops","at":5})"));
  CHECK_FALSE(T::decode_event("checkout.closed", R"({"reason":"x","at":5})"));
  CHECK(T::decode_event("checkout.closed", R"({"by":"ops","reason":"x","at":5})"));

  CHECK_FALSE(T::decode_event("checkout.unknown", R"({"at":5})"));
  CHECK_FALSE(T::decode_event("cart.checked_out", R"({"at":5})"));
  CHECK_FALSE(T::decode_event("checkout.completed", ""));
  CHECK_FALSE(T::decode_event("checkout.completed", "{"));
  CHECK_FALSE(T::decode_event("checkout.completed", "[5]"));
  CHECK_FALSE(T::decode_event("checkout.completed", "\xff\xfe"));
  CHECK_FALSE(T::decode_event("checkout.step_attempted", good.substr(0, good.size() - 1)));
}

TEST_CASE("checkout snapshots round-trip at every point of a saga", "[checkout][codec]") {
  // Every event type, every status and phase, retries, resumes: each
  // intermediate state survives a snapshot and equals the decoded replay.
  saga happy;
  happy.fail(errc::unavailable, true, false);
  while (!happy.st.terminal())
    happy.succeed();
  auto st = test::check_history<traits>(happy.history);
  CHECK(st.status == saga_status::completed);
  CHECK(st == happy.st);

  auto undone = stuck_compensating();
  undone.exec(resume{"ops"});
  while (!undone.st.terminal())
    undone.succeed();
  st = test::check_history<traits>(undone.history);
  CHECK(st.status == saga_status::compensated);
  CHECK(st.failure.has_value());

  auto closed_by_hand = stuck_after_pivot();
  closed_by_hand.exec(resume{"ops"});
  closed_by_hand.fail_until_given_up(errc::internal);
  closed_by_hand.exec(checkout::close{"ops", tricky});
  st = test::check_history<traits>(closed_by_hand.history);
  CHECK(st.status == saga_status::failed);
  CHECK(st.closed_reason == std::optional<std::string>{tricky});

  // A stuck one, with its stuck reason.
  auto waiting = stuck_after_pivot();
  st = test::check_history<traits>(waiting.history);
  CHECK(st.stuck_reason.has_value());

  // A guest checkout whose address was never given, and a priced cart without a customer.
  auto cmd = valid_start();
  cmd.shipping_address = "";
  saga guest{cmd};
  auto r = guest.answer(true);
  r.priced->customer_id.reset();
  guest.exec(record{r, 3});
  st = test::check_history<traits>(guest.history);
  CHECK(st.shipping_address.empty());
  CHECK_FALSE(st.customer_id.has_value());
}

TEST_CASE("checkout snapshot decoding rejects corrupt snapshots", "[checkout][codec]") {
  using T = traits;
  auto s = stuck_compensating();
  auto text = T::encode_state(s.st);
  REQUIRE(T::decode_state(text) == std::optional<state>{s.st});

  auto with = [&](std::string_view key, std::string_view value) {
    auto v = parse_json(text);
    REQUIRE(v);
    auto o = v->get_object();
    if (value.empty())
      o.erase(key);
    else
      o[key] = *parse_json(value);
    return json::serialize(o);
  };
  for (std::string_view key :
       {"exists", "checkout_id", "cart_id", "order_id", "payment_id", "customer_id",
        "shipping_address", "payment_token", "status", "phase", "current",
        "attempts_since_resume", "reason", "failure", "stuck_reason", "closed_reason", "steps",
        "started_at", "finished_at", "updated_at", "version"}) {
    INFO("without " << key);
    CHECK_FALSE(T::decode_state(with(key, "")));
  }
  const std::pair<std::string_view, std::string_view> bad_values[] = {
    {"status", R"("lost")"},
    {"phase", R"("sideways")"},
    {"current", R"("ship")"},
    {"finished_at", R"("soon")"},
    {"finished_at", "1.5"},
    {"steps", "[]"},
    {"steps", "{}"},
    {"reason", "3"},
    {"failure", R"({"code":"bogus","message":"m","details":{}})"},
    {"priced", "7"},
    {"version", "null"},
    {"request_hash", R"("h")"},
    {"waits", "true"},
    {"rejected_status", "200"},
    {"rejected_status", "409"},
  };
  for (const auto& [key, value] : bad_values) {
    INFO(key << " = " << value);
    CHECK_FALSE(T::decode_state(with(key, value)));
  }
  // One bad step among the seven.
  auto v = parse_json(text);
  REQUIRE(v);
  auto o = v->get_object();
  auto steps = o.at("steps").get_array();
  auto step = steps[3].get_object();
  step["status"] = "sleeping";
  steps[3] = step;
  o["steps"] = steps;
  CHECK_FALSE(T::decode_state(json::serialize(o)));
  step = steps[3].get_object();
  step.erase("definite_failures");
  step["status"] = "done";
  steps[3] = step;
  o["steps"] = steps;
  CHECK_FALSE(T::decode_state(json::serialize(o)));
  steps[3] = 5;
  o["steps"] = steps;
  CHECK_FALSE(T::decode_state(json::serialize(o)));

  CHECK_FALSE(T::decode_state(""));
  CHECK_FALSE(T::decode_state("{}"));
  CHECK_FALSE(T::decode_state("null"));
  CHECK_FALSE(T::decode_state(text.substr(0, text.size() - 1)));
  // A never-started checkout's snapshot is valid.
  CHECK(T::decode_state(T::encode_state(state{})) == std::optional<state>{state{}});
}

// -- replay ---------------------------------------------------------------------

namespace {

/// A history with retries, a give-up, compensations with a retry, a stuck
/// compensation, a resume and the end: every kind of decision.
std::vector<event> rich_history() {
  saga s;
  s.succeed();                           // price_cart
  s.fail(errc::unavailable, true, false); // reserve_inventory 1: retry
  s.succeed();                           // reserve_inventory 2
  s.fail(errc::payment_failed, true);    // authorize_payment 1: retry
  s.fail(errc::payment_failed, true);    // authorize_payment 2: retry
  s.fail(errc::payment_failed, true);    // authorize_payment 3: give up
  s.fail(errc::unavailable, true);       // void 1: retry
  s.fail(errc::unavailable, true);       // void 2: retry
  s.fail(errc::unavailable, true);       // void 3: give up, stuck
  s.exec(resume{"ops"});
  s.succeed();                           // void 4
  s.succeed();                           // release
  s.succeed();                           // reopen the cart, compensated
  REQUIRE(s.st.status == saga_status::compensated);
  return s.history;
}

/// The index of the first step_attempted of `step` (`phase`) attempt `attempt`.
size_t index_of(const std::vector<event>& h, step_name step, phase ph, int attempt) {
  for (size_t i = 0; i < h.size(); ++i)
    if (auto* a = std::get_if<step_attempted>(&h[i]))
      if (a->reply.step == step && a->reply.phase == ph && a->reply.attempt == attempt)
        return i;
  FAIL("no such attempt in the history");
  return 0;
}

} // namespace

TEST_CASE("replay of a recorded history finds no divergence", "[checkout][replay]") {
  auto h = rich_history();
  REQUIRE(h.size() == 16);
  auto report = replay(h);
  CHECK(report.divergence.empty());
  CHECK(report.at_event == -1);
  CHECK(report.events == 16);

  saga happy;
  while (!happy.st.terminal())
    happy.succeed();
  report = replay(happy.history);
  CHECK(report.divergence.empty());
  CHECK(report.at_event == -1);

  auto closed_by_hand = stuck_after_pivot();
  closed_by_hand.exec(checkout::close{"ops", "settled"});
  CHECK(replay(closed_by_hand.history).at_event == -1);

  // A saga in progress replays too, as does one recorded with another policy.
  saga patient;
  patient.max_attempts = 5;
  patient.advance_to(step_name::place_order);
  for (int i = 0; i < 4; ++i)
    patient.fail(errc::unavailable, true);
  CHECK(replay(patient.history, 5).at_event == -1);

  CHECK(replay({}).at_event == -1);
  CHECK(replay({}).events == 0);
  CHECK(replay({h.front()}).at_event == -1);
}

TEST_CASE("replay reports the first divergence of a changed history", "[checkout][replay]") {
  const auto h = rich_history();
  auto check_diverges = [](const std::vector<event>& history, int64_t index,
                           std::string_view mentions, int max_attempts = 3) {
    auto report = replay(history, max_attempts);
    INFO(report.divergence);
    CHECK(report.at_event == index);
    CHECK_FALSE(report.divergence.empty());
    CHECK_THAT(report.divergence, Contains(std::string(mentions)));
    CHECK(report.events == static_cast<int64_t>(history.size()));
  };
  const auto retry_1 = index_of(h, step_name::authorize_payment, phase::forward, 1);
  const auto give_up = index_of(h, step_name::authorize_payment, phase::forward, 3);

  SECTION("a changed verdict") {
    auto x = h;
    std::get<step_attempted>(x[retry_1]).verdict = verdict::give_up;
    check_diverges(x, static_cast<int64_t>(retry_1), "authorize_payment attempt 1");
    x = h;
    std::get<step_attempted>(x[give_up]).verdict = verdict::retry;
    check_diverges(x, static_cast<int64_t>(give_up), "give_up");
  }
  SECTION("a changed attempt number") {
    auto x = h;
    std::get<step_attempted>(x[retry_1 + 1]).reply.attempt = 3;
    check_diverges(x, static_cast<int64_t>(retry_1 + 1), "run authorize_payment attempt 2");
  }
  SECTION("a changed reply") {
    auto x = h;
    std::get<step_attempted>(x[retry_1]).reply.retryable = false; // today: give_up
    check_diverges(x, static_cast<int64_t>(retry_1), "retry");
  }
  SECTION("a missing event") {
    auto x = h;
    x.erase(x.begin() + static_cast<std::ptrdiff_t>(retry_1));
    check_diverges(x, static_cast<int64_t>(retry_1), "authorize_payment attempt 2");
    // The stuck event that followed the last void attempt.
    x = h;
    auto stuck_at = index_of(h, step_name::authorize_payment, phase::compensating, 3) + 1;
    REQUIRE(std::holds_alternative<checkout::stuck>(x[stuck_at]));
    x.erase(x.begin() + static_cast<std::ptrdiff_t>(stuck_at));
    check_diverges(x, static_cast<int64_t>(stuck_at), "checkout.stuck");
    // The last event: today's code decides one after the recording's end.
    x = h;
    x.pop_back();
    check_diverges(x, static_cast<int64_t>(x.size()), "after the end of the recording");
    // The start.
    x = h;
    x.erase(x.begin());
    check_diverges(x, 0, "checkout.started");
  }
  SECTION("an extra event") {
    auto x = h;
    x.insert(x.begin() + static_cast<std::ptrdiff_t>(retry_1 + 1), x[retry_1]);
    check_diverges(x, static_cast<int64_t>(retry_1 + 1), "authorize_payment attempt 2");
    x = h;
    x.insert(x.begin() + 3, event{completed{1}});
    check_diverges(x, 3, "decides nothing");
    x = h;
    x.push_back(completed{1});
    check_diverges(x, static_cast<int64_t>(h.size()), "decides nothing");
    x = h;
    x.insert(x.begin() + 2, event{resumed{"ops", 1}});
    check_diverges(x, 2, "refuses");
  }
  SECTION("a changed consequence") {
    auto x = h;
    std::get<compensated>(x.back()).reason = "out_of_stock";
    check_diverges(x, static_cast<int64_t>(x.size() - 1), "checkout.compensated");
  }
  SECTION("another retry policy") {
    // Fewer attempts: the second authorize attempt would have been the last.
    check_diverges(h, static_cast<int64_t>(retry_1 + 1), "give_up", 2);
    // More: the third would have been retried.
    check_diverges(h, static_cast<int64_t>(give_up), "retry", 4);
  }
}
