// The checkout runner on CAF's deterministic scheduler, over real entity
// shells on the in-memory journal and the simulated gateway: the happy path,
// the payment opened by the first authorization's answer (and, when that
// answer is lost, by the compensation that voids it), the order marked paid
// beside the stock commit, a watch on a checkout the journal cannot give back
// before the watch's limit, a gateway call that times out and is retried with
// the same key, the next
// step run while a record is written (and that record lost), a runner that
// dies between steps and a new one that resumes from the journal, and replay
// of the recorded history.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "actors/catalogue/product_cache.hpp"
#include "actors/payment/simulated_gateway.hpp"
#include "actors/runtime/oneshot.hpp"
#include "config/config.hpp"
#include "sagas/checkout_runner.hpp"
#include "tests/support/deterministic_system.hpp"
#include "tests/support/memory_journal.hpp"

using namespace agora;
using namespace agora::test;
using checkout::saga_status;
using checkout::step_name;

namespace {

/// `recorded` of a checkout that went through every step at the first attempt.
const std::vector<std::string> every_step_done{
  "price_cart:done",      "reserve_inventory:done", "authorize_payment:done", "place_order:done",
  "capture_payment:done", "commit_inventory:done", "close_cart:done"};

/// A gateway that drops the first `drop` requests unanswered (a network that
/// loses them), then loses the answers to the next `lose` (the simulator
/// carries them out), then hands everything to the simulator.
struct lossy_state {
  static inline const char* name = "lossy-gateway";
  payment::gateway_actor inner;
  int drop = 0;
  int lose = 0;
};

template <class Request>
caf::result<payment::gateway_result>
forward(payment::gateway_actor::stateful_pointer<lossy_state> self, Request& req) {
  if (self->state.drop > 0) {
    --self->state.drop;
    return self->make_response_promise<payment::gateway_result>(); // never delivered
  }
  if (self->state.lose > 0) {
    --self->state.lose;
    self->request(self->state.inner, caf::infinite, std::move(req))
      .then([](payment::gateway_result&) {});
    return self->make_response_promise<payment::gateway_result>(); // never delivered
  }
  return self->delegate(self->state.inner, std::move(req));
}

payment::gateway_actor::behavior_type
lossy_gateway(payment::gateway_actor::stateful_pointer<lossy_state> self,
              payment::gateway_actor inner, int drop, int lose) {
  self->state.inner = std::move(inner);
  self->state.drop = drop;
  self->state.lose = lose;
  return {
    [self](payment::authorize& r) { return forward(self, r); },
    [self](payment::capture& r) { return forward(self, r); },
    [self](payment::void_authorization& r) { return forward(self, r); },
    [self](payment::refund& r) { return forward(self, r); },
    [self](payment::get_ledger& r) { return self->delegate(self->state.inner, std::move(r)); },
  };
}

struct fixture : deterministic_system {
  std::shared_ptr<memory_journal_data> data = std::make_shared<memory_journal_data>();
  persistence::journal_actor journal = sys.spawn(memory_journal, data);
  agora::config cfg;
  catalogue::product_cache cache;
  sagas::checkout_deps deps;
  payment::gateway_actor simulator;
  runtime::region_ref<product::product_traits> products;
  std::vector<caf::actor> runners;
  std::vector<std::string> recorded; // "step:verdict" after each record

  explicit fixture(int drop_gateway_requests = 0, int lose_gateway_answers = 0) {
    cfg.payments.gateway_latency_ms = 0;
    runtime::region_settings settings;
    settings.idle_timeout = std::chrono::hours(1);
    products = runtime::spawn_region<product::product_traits>(sys, journal, settings,
                                                              cache.hook());
    cache.attach(products);
    deps.checkouts = runtime::spawn_region<checkout::checkout_traits>(sys, journal, settings);
    deps.carts = runtime::spawn_region<cart::cart_traits>(sys, journal, settings);
    deps.inventory = runtime::spawn_region<inventory::inventory_traits>(sys, journal, settings);
    deps.orders = runtime::spawn_region<order::order_traits>(sys, journal, settings);
    deps.payments = runtime::spawn_region<payment::payment_traits>(sys, journal, settings);
    simulator = payment::spawn_simulated_gateway(sys, cfg, 7);
    deps.gateway =
      sys.spawn(lossy_gateway, simulator, drop_gateway_requests, lose_gateway_answers);
    deps.cache = &cache;
    deps.cfg = &cfg;
    deps.after_record = [this](const checkout::state& st, const checkout::action& a) {
      recorded.push_back(std::string(to_string(a.step)) + ":" +
                         std::string(to_string(st.at(a.step).status)));
    };
    run();
  }

  ~fixture() {
    for (auto& r : runners)
      self->send_exit(r, caf::exit_reason::user_shutdown);
    for (auto hdl : {deps.checkouts.handle(), deps.carts.handle(), deps.inventory.handle(),
                     deps.orders.handle(), deps.payments.handle(), products.handle()})
      self->send(hdl, stop_atom_v);
    self->send_exit(deps.gateway, caf::exit_reason::user_shutdown);
    self->send_exit(simulator, caf::exit_reason::user_shutdown);
    if (data->gate)
      self->send_exit(data->gate, caf::exit_reason::user_shutdown);
    run();
  }

  sagas::checkout_runner spawn_runner() {
    auto r = sagas::spawn_checkout_runner(sys, deps);
    runners.push_back(r.handle());
    return r;
  }

  template <class Traits>
  runtime::view_t<Traits> ask(const runtime::region_ref<Traits>& region, const std::string& id,
                              typename Traits::command cmd) {
    std::optional<result<runtime::view_t<Traits>>> out;
    region.tell(id, std::move(cmd), "test", [&out](auto r) { out = std::move(r); });
    run();
    REQUIRE(out);
    REQUIRE(*out);
    return std::move(**out);
  }

  /// A product with stock, a cart holding `quantity` of it, a started checkout.
  std::string start_checkout(const std::string& token, int64_t quantity = 2) {
    ask(products, "SKU-1", product::create{"SKU-1", "Lamp", "A lamp", 1500, "USD", "Home"});
    ask(deps.inventory, "SKU-1", inventory::adjust{10, "stock", {}});
    ask(deps.carts, "cart-1", cart::create{std::nullopt, "USD"});
    ask(deps.carts, "cart-1", cart::add_item{"SKU-1", quantity, 10, "USD", {}, true});
    ask(deps.checkouts, "co-1",
        checkout::start{"cart-1", "order-1", "pay-1", std::nullopt,
                        R"({"name":"A","line1":"B","city":"C","postal_code":"D","country":"DE"})",
                        token, std::nullopt, "", false});
    return "co-1";
  }

  checkout::state saga() { return ask(deps.checkouts, "co-1", checkout::get{}); }

  payment::ledger ledger(const std::string& payment_id) {
    auto out = std::make_shared<std::optional<payment::ledger>>();
    runtime::spawn_oneshot(sys, [gw = simulator, out, payment_id](caf::event_based_actor* client) {
      client->request(gw, caf::infinite, payment::get_ledger{payment_id})
        .then([out](payment::ledger& l) { *out = std::move(l); });
    });
    run();
    REQUIRE(*out);
    return std::move(**out);
  }

  /// Holds the journal write of co-1's record of `step` until release().
  void hold_record_of(std::string step) {
    hold_appends(sys, data, [step = std::move(step)](const persistence::append_request& req) {
      for (const auto& row : req.rows)
        if (row.persistence_id == "checkout|co-1" &&
            row.event_type == "checkout.step_attempted" &&
            row.payload.find('"' + step + '"') != std::string::npos)
          return true;
      return false;
    });
  }

  /// Runs co-1 (tok_ok) until its record of `step` waits in the journal.
  void run_holding_record_of(std::string step) {
    auto runner = spawn_runner();
    hold_record_of(std::move(step));
    runner.run(start_checkout("tok_ok"));
    run();
    REQUIRE(data->held == 1);
  }

  /// Fires the pending timeouts, and what follows them, until co-1 is no
  /// longer running (at most `rounds` times).
  void run_until_settled(int rounds = 10) {
    for (int i = 0; i < rounds && saga().status == checkout::saga_status::running; ++i)
      run_timeouts();
  }

  /// Writes the held appends (or fails them, writing nothing); holds no more.
  void release(bool fail = false) {
    data->hold = nullptr;
    if (fail)
      self->send(data->gate, revoke_atom_v);
    else
      self->send(data->gate, commit_atom_v);
    run();
  }

  std::vector<checkout::event> history() {
    std::vector<checkout::event> out;
    for (const auto& row : data->streams["checkout|co-1"]) {
      auto ev = checkout::checkout_traits::decode_event(row.event_type, row.payload);
      REQUIRE(ev);
      out.push_back(std::move(*ev));
    }
    return out;
  }
};

} // namespace

TEST_CASE("the runner drives a checkout through every step", "[sagas][runner]") {
  fixture f;
  auto runner = f.spawn_runner();
  auto completed_before = sagas::finished_checkouts(saga_status::completed);
  std::optional<result<checkout::state>> watched;
  runner.watch(f.start_checkout("tok_ok"), std::chrono::seconds(10),
               [&watched](result<checkout::state> st) { watched = std::move(st); });
  f.run();
  auto st = f.saga();
  CHECK(st.status == saga_status::completed);
  REQUIRE(watched);
  REQUIRE(*watched);
  CHECK((*watched)->status == saga_status::completed);
  CHECK(f.recorded == every_step_done);
  auto order = f.ask(f.deps.orders, "order-1", order::get{});
  CHECK(order.status == order::order_status::paid);
  CHECK(order.total_cents == 2 * 1500 + f.cfg.shipping.flat_cents);
  auto lv = f.ask(f.deps.inventory, "SKU-1", inventory::get{});
  CHECK(lv.on_hand == 8);
  CHECK(lv.reserved == 0);
  CHECK(f.ask(f.deps.carts, "cart-1", cart::get{}).status == cart::cart_status::checked_out);
  // Every event the saga's commands caused carries its id as correlation.
  for (const auto& [pid, rows] : f.data->streams)
    if (pid.rfind("order|", 0) == 0 || pid.rfind("payment|", 0) == 0)
      for (const auto& row : rows)
        CHECK(row.correlation_id == "co-1");
  auto report = checkout::replay(f.history());
  CHECK(report.divergence == "");
  CHECK(report.events == 9);

  // Counted once: watching or running the ended saga again reads it again
  // without counting it (a keyed repeat watches the checkout it repeats).
  CHECK(sagas::finished_checkouts(saga_status::completed) - completed_before == 1);
  std::optional<result<checkout::state>> again;
  runner.watch("co-1", std::chrono::seconds(10),
               [&again](result<checkout::state> st) { again = std::move(st); });
  runner.run("co-1");
  f.run();
  REQUIRE(again);
  REQUIRE(*again);
  CHECK((*again)->status == saga_status::completed);
  CHECK(sagas::finished_checkouts(saga_status::completed) - completed_before == 1);
}

TEST_CASE("the first authorization opens the payment with the gateway's answer in one journal "
          "write",
          "[sagas][runner]") {
  fixture f;
  std::vector<size_t> payment_appends; // rows per append
  hold_appends(f.sys, f.data, [&payment_appends](const persistence::append_request& req) {
    if (req.rows.front().persistence_id == "payment|pay-1")
      payment_appends.push_back(req.rows.size());
    return false; // held: none
  });
  auto runner = f.spawn_runner();
  runner.run(f.start_checkout("tok_ok"));
  f.run();
  CHECK(f.saga().status == saga_status::completed);
  CHECK(payment_appends == std::vector<size_t>{2, 1}); // opened + authorized, captured
  const auto& rows = f.data->streams["payment|pay-1"];
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].event_type == "payment.opened");
  CHECK(rows[1].event_type == "payment.authorized");
}

TEST_CASE("an authorization whose answer was lost is learnt and voided when the saga "
          "compensates, though it never opened the payment",
          "[sagas][runner]") {
  fixture f{0, 1}; // the gateway authorizes the first attempt; its answer is lost
  f.cfg.checkout.max_attempts = 1;
  auto runner = f.spawn_runner();
  runner.run(f.start_checkout("tok_ok"));
  f.run();
  CHECK(f.data->streams.count("payment|pay-1") == 0);
  f.run_until_settled(5); // the step's timeout gives it up; compensation follows
  auto st = f.saga();
  CHECK(st.status == saga_status::compensated);
  CHECK(st.at(step_name::price_cart).status == checkout::step_status::compensated);
  // The compensation opened the payment, asked again with the same key (no
  // second authorization) and voided the one the gateway holds.
  auto totals = f.ledger("pay-1").totals_of("pay-1");
  CHECK(totals.authorized_cents == 3000 + f.cfg.shipping.flat_cents);
  CHECK(totals.voided_cents == totals.authorized_cents);
  CHECK(f.ask(f.deps.payments, "pay-1", payment::get{}).status ==
        payment::payment_status::voided);
  CHECK(f.ask(f.deps.inventory, "SKU-1", inventory::get{}).reserved == 0);
  CHECK(checkout::replay(f.history(), 1).divergence == "");
}

TEST_CASE("commit_inventory marks the order paid beside the stock commit, and fails when "
          "either refuses",
          "[sagas][runner]") {
  fixture f;
  f.run_holding_record_of("place_order"); // capture_payment runs ahead, then everything waits
  CHECK(f.ask(f.deps.payments, "pay-1", payment::get{}).status ==
        payment::payment_status::captured);
  // The capture did not mark the order paid: the next step does.
  CHECK(f.ask(f.deps.orders, "order-1", order::get{}).status == order::order_status::pending);
  SECTION("the order refuses") {
    f.ask(f.deps.orders, "order-1", order::cancel{"by hand", "test/cancel"});
    f.release();
    f.run_until_settled(5);
    auto st = f.saga();
    // Money was captured, so the saga parks for an operator instead of undoing it.
    CHECK(st.status == saga_status::stuck);
    CHECK(st.at(step_name::commit_inventory).status == checkout::step_status::failed);
    CHECK(st.at(step_name::close_cart).attempts == 0);
  }
  SECTION("the stock's write fails after the order was marked paid") {
    f.data->hold = [](const persistence::append_request& req) {
      return req.rows.front().persistence_id == "inventory|SKU-1";
    };
    f.self->send(f.data->gate, commit_atom_v); // place_order's record; commit_inventory runs
    f.run();
    REQUIRE(f.data->held == 1);
    CHECK(f.ask(f.deps.orders, "order-1", order::get{}).status == order::order_status::paid);
    f.release(true);
    f.run_until_settled(5);
    auto st = f.saga();
    // The step waited for both and went again: the stock was committed once.
    CHECK(st.status == saga_status::completed);
    CHECK(st.at(step_name::commit_inventory).attempts == 2);
    auto lv = f.ask(f.deps.inventory, "SKU-1", inventory::get{});
    CHECK(lv.on_hand == 8);
    CHECK(lv.reserved == 0);
  }
}

TEST_CASE("a watch whose limit passes first gets the saga as it stands, and the saga goes on",
          "[sagas][runner]") {
  fixture f{1}; // the first authorize is lost: the step waits for its timeout
  auto runner = f.spawn_runner();
  std::optional<result<checkout::state>> watched;
  runner.watch(f.start_checkout("tok_ok"), std::chrono::milliseconds(500),
               [&watched](result<checkout::state> st) { watched = std::move(st); });
  f.run();
  CHECK_FALSE(watched);
  f.run_timeouts(); // the watch's limit, then the step's timeout
  REQUIRE(watched);
  REQUIRE(*watched);
  CHECK((*watched)->status == saga_status::running);
  CHECK((*watched)->at(step_name::authorize_payment).attempts == 0);
  f.run_timeouts(); // the retry's backoff
  CHECK(f.saga().status == saga_status::completed);
}

TEST_CASE("a watch on a checkout that cannot be read before its limit is answered unavailable",
          "[sagas][runner]") {
  fixture f;
  auto runner = f.spawn_runner();
  f.data->fail_next_loads = 100; // the journal cannot give the runner co-9
  std::optional<result<checkout::state>> watched;
  runner.watch("co-9", std::chrono::milliseconds(500),
               [&watched](result<checkout::state> st) { watched = std::move(st); });
  f.run();
  CHECK_FALSE(watched); // the runner reads it again every 200 ms until the limit
  f.advance(std::chrono::milliseconds(300));
  CHECK_FALSE(watched);
  f.advance(std::chrono::milliseconds(300));
  REQUIRE(watched);
  REQUIRE_FALSE(*watched);
  CHECK(watched->error().code == errc::unavailable);
  CHECK(watched->error().message == "the checkout could not be read in time");
  f.data->fail_next_loads = 0;
}

TEST_CASE("a gateway call that times out is retried with the same key", "[sagas][runner]") {
  fixture f{1}; // the first authorize is lost
  auto runner = f.spawn_runner();
  runner.run(f.start_checkout("tok_ok"));
  f.run();
  CHECK(f.saga().status == saga_status::running);
  CHECK(f.saga().at(step_name::authorize_payment).attempts == 0);
  f.run_timeouts(); // the step timeout fires; the backoff follows
  f.run_timeouts();
  auto st = f.saga();
  CHECK(st.status == saga_status::completed);
  CHECK(st.at(step_name::authorize_payment).attempts == 2);
  // One authorization at the gateway: the retry reused the key.
  auto ledger = f.ledger("pay-1");
  CHECK(ledger.totals_of("pay-1").authorized_cents == 3000 + f.cfg.shipping.flat_cents);
  CHECK(ledger.entries.size() == 2); // authorize, capture
  CHECK(checkout::replay(f.history()).divergence == "");
}

TEST_CASE("the next step runs while a step's record is written, and is recorded after it",
          "[sagas][runner]") {
  fixture f;
  auto runner = f.spawn_runner();
  std::optional<result<checkout::state>> watched;
  f.hold_record_of("reserve_inventory");
  runner.watch(f.start_checkout("tok_ok"), std::chrono::seconds(10),
               [&watched](result<checkout::state> st) { watched = std::move(st); });
  f.run();
  // reserve_inventory's record waits in the journal. authorize_payment ran
  // meanwhile; its reply waits for that record, and nothing follows it.
  REQUIRE(f.data->held == 1);
  CHECK(f.recorded == std::vector<std::string>{"price_cart:done"});
  CHECK(f.data->streams["checkout|co-1"].size() == 2); // started, price_cart
  CHECK(f.ask(f.deps.payments, "pay-1", payment::get{}).status ==
        payment::payment_status::authorized);
  CHECK(f.data->streams.count("order|order-1") == 0);
  CHECK_FALSE(watched);

  f.release();
  REQUIRE(watched);
  REQUIRE(*watched);
  CHECK((*watched)->status == saga_status::completed);
  CHECK(f.recorded == every_step_done);
  auto report = checkout::replay(f.history());
  CHECK(report.divergence == "");
  CHECK(report.events == 9);
}

TEST_CASE("stock is reserved while price_cart's record is written, and released when that record "
          "is lost and pricing again fails",
          "[sagas][runner]") {
  fixture f;
  f.run_holding_record_of("price_cart");
  CHECK(f.ask(f.deps.inventory, "SKU-1", inventory::get{}).reserved == 2);
  // Nothing is charged before the prices are durable.
  CHECK(f.data->streams.count("payment|pay-1") == 0);
  CHECK(f.ledger("pay-1").entries.empty());
  SECTION("the record is written") {
    f.release();
    CHECK(f.saga().status == saga_status::completed);
    CHECK(f.recorded == every_step_done);
  }
  SECTION("the record is lost and the product retired meanwhile") {
    f.ask(f.products, "SKU-1", product::retire{});
    f.release(true);
    f.run_until_settled(); // the re-read, then pricing again
    auto st = f.saga();
    CHECK(st.status == saga_status::compensated);
    CHECK(st.reason == std::optional<std::string>{"product_unavailable"});
    CHECK(st.at(step_name::reserve_inventory).attempts == 0);
    CHECK(f.ask(f.deps.inventory, "SKU-1", inventory::get{}).reserved == 0);
    CHECK(f.ask(f.deps.carts, "cart-1", cart::get{}).status == cart::cart_status::open);
  }
  CHECK(checkout::replay(f.history()).divergence == "");
}

TEST_CASE("a record the journal fails while the next step runs: the runner goes on from the "
          "durable saga and nothing happens twice",
          "[sagas][runner]") {
  fixture f;
  f.run_holding_record_of("reserve_inventory");
  f.release(true); // the record is lost; authorize_payment ran already
  CHECK(f.saga().status == saga_status::running);
  f.run_until_settled(); // the re-read, then the backoff of a repeated attempt
  auto st = f.saga();
  CHECK(st.status == saga_status::completed);
  CHECK(st.at(step_name::reserve_inventory).attempts == 1); // its record, written once
  // One reservation taken and committed, one authorization and one capture.
  auto lv = f.ask(f.deps.inventory, "SKU-1", inventory::get{});
  CHECK(lv.on_hand == 8);
  CHECK(lv.reserved == 0);
  auto ledger = f.ledger("pay-1");
  CHECK(ledger.entries.size() == 2);
  CHECK(ledger.totals_of("pay-1").captured_cents == 3000 + f.cfg.shipping.flat_cents);
  CHECK(f.ask(f.deps.orders, "order-1", order::get{}).status == order::order_status::paid);
  CHECK(checkout::replay(f.history()).divergence == "");
}

TEST_CASE("a new runner resumes a checkout from its last recorded step", "[sagas][runner]") {
  fixture f;
  // The first runner dies as soon as place_order is recorded.
  auto dying = f.deps;
  dying.after_record = [&f](const checkout::state&, const checkout::action& a) {
    f.recorded.push_back(std::string(to_string(a.step)));
    if (a.step == step_name::place_order)
      caf::anon_send_exit(f.runners.back(), caf::exit_reason::kill);
  };
  auto runner = sagas::spawn_checkout_runner(f.sys, dying);
  f.runners.push_back(runner.handle());
  runner.run(f.start_checkout("tok_ok"));
  f.run();
  auto halfway = f.saga();
  CHECK(halfway.status == saga_status::running);
  CHECK(halfway.current == step_name::capture_payment);
  CHECK(halfway.at(step_name::place_order).status == checkout::step_status::done);
  auto second = f.spawn_runner();
  second.run("co-1");
  f.run();
  auto st = f.saga();
  CHECK(st.status == saga_status::completed);
  CHECK(st.at(step_name::place_order).attempts == 1); // not done again
  CHECK(f.ask(f.deps.orders, "order-1", order::get{}).status == order::order_status::paid);
  CHECK(checkout::replay(f.history()).divergence == "");
}

TEST_CASE("a declined card compensates in reverse and reopens the cart", "[sagas][runner]") {
  fixture f;
  auto runner = f.spawn_runner();
  runner.run(f.start_checkout("tok_declined"));
  f.run();
  auto st = f.saga();
  CHECK(st.status == saga_status::compensated);
  CHECK(st.reason == std::optional<std::string>{"payment_declined"});
  CHECK(st.at(step_name::reserve_inventory).status == checkout::step_status::compensated);
  CHECK(st.at(step_name::price_cart).status == checkout::step_status::compensated);
  CHECK(f.ask(f.deps.inventory, "SKU-1", inventory::get{}).reserved == 0);
  CHECK(f.ask(f.deps.carts, "cart-1", cart::get{}).status == cart::cart_status::open);
  CHECK(checkout::replay(f.history()).divergence == "");
}

TEST_CASE("a refused checkout is journaled without a live saga entity, which reads it back later",
          "[saga][runner]") {
  fixture f;
  auto live_before = runtime::live_entities("checkout");
  std::optional<result<checkout::state>> out;
  checkout::start refused{"cart-9", "order-9", "pay-9", std::nullopt, R"({"name":"A"})", "tok",
                          make_problem(errc::out_of_stock, "SKU-1: requested 2, available 0"), "", false};
  f.deps.checkouts.record_new("co-9", refused, "req-9", [&out](auto r) { out = std::move(r); });
  f.run();
  REQUIRE(out);
  REQUIRE(*out);
  CHECK((*out)->status == saga_status::compensated);
  CHECK((*out)->reason == "out_of_stock");
  CHECK(runtime::live_entities("checkout") == live_before);
  const auto& rows = f.data->streams["checkout|co-9"];
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].event_type == "checkout.refused");
  CHECK(rows[0].correlation_id == "req-9");

  auto read = f.ask(f.deps.checkouts, "co-9", checkout::get{});
  CHECK(read == **out);

  // The same id again: the journal has its events, nothing is written, and
  // the reply says so.
  std::optional<result<checkout::state>> again;
  f.deps.checkouts.record_new("co-9", refused, "req-9b", [&again](auto r) { again = std::move(r); });
  f.run();
  REQUIRE(again);
  REQUIRE_FALSE(*again);
  CHECK(again->error().code == errc::concurrency_conflict);
  CHECK(f.data->streams["checkout|co-9"].size() == 1);

  // A command that decides no events journals nothing and is answered at once.
  std::optional<result<checkout::state>> rejected;
  f.deps.checkouts.record_new("co-10", checkout::get{}, "req-10",
                              [&rejected](auto r) { rejected = std::move(r); });
  f.run();
  REQUIRE(rejected);
  CHECK(f.data->streams.count("checkout|co-10") == 0);
}

TEST_CASE("a recorded checkout reaches its region's change hook once durable, before the reply",
          "[saga][runner]") {
  fixture f;
  std::vector<std::string> log;
  auto region = runtime::spawn_region<checkout::checkout_traits>(
    f.sys, f.journal, runtime::region_settings{},
    [&log](const std::string& id, const checkout::state* st) {
      log.push_back(id + (st ? " " + std::string(to_string(st->status)) : " pending"));
    });
  checkout::start refused{"cart-9", "order-9", "pay-9", std::nullopt, R"({"name":"A"})", "tok",
                          make_problem(errc::out_of_stock, "SKU-1: requested 2, available 0"), "", false};
  region.record_new("co-12", refused, "req-12",
                    [&log](auto r) { log.push_back(r ? "reply" : "failed"); });
  f.run();
  CHECK(log == std::vector<std::string>{"co-12 compensated", "reply"});
  f.self->send(region.handle(), stop_atom_v);
  f.run();
}

TEST_CASE("a refused checkout the journal does not take is answered unavailable, and a drain "
          "waits for one being written",
          "[saga][runner]") {
  fixture f;
  checkout::start refused{"cart-9", "order-9", "pay-9", std::nullopt, R"({"name":"A"})", "tok",
                          make_problem(errc::out_of_stock, "SKU-1: requested 2, available 0"), "", false};
  std::optional<result<checkout::state>> failed;
  f.data->fail_next_appends = 1;
  f.deps.checkouts.record_new("co-9", refused, "req-9", [&failed](auto r) { failed = std::move(r); });
  f.run();
  REQUIRE(failed);
  REQUIRE_FALSE(*failed);
  CHECK(failed->error().code == errc::unavailable);
  CHECK(f.data->streams.count("checkout|co-9") == 0);

  // A drain that arrives while a record is on its way to the journal waits
  // for it: the record is answered (a region that quit at once would drop
  // the journal's answer, and the reply with it).
  std::vector<std::string> order;
  f.deps.checkouts.record_new("co-11", refused, "req-11",
                              [&order](auto r) { order.push_back(r ? "recorded" : "failed"); });
  f.self->send(f.deps.checkouts.handle(), stop_atom_v);
  f.run();
  CHECK(order == std::vector<std::string>{"recorded"});
  CHECK(f.data->streams["checkout|co-11"].size() == 1);
}
