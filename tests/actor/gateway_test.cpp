// Message-flow tests of the simulated payment gateway on CAF's deterministic
// scheduler: every test token of API.md, the amount limit, idempotency keys
// (repeated after the answer and while the first request is in flight), the
// latency and tok_slow timers (driven by advancing the test clock), the
// seeded failure rate and the ledger totals.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/payment/simulated_gateway.hpp"
#include "actors/runtime/oneshot.hpp"
#include "config/config.hpp"
#include "tests/support/deterministic_system.hpp"

using namespace agora;
using namespace agora::payment;
using namespace std::chrono_literals;

namespace {

template <class T>
using slot = std::shared_ptr<std::optional<caf::expected<T>>>;

struct fixture : test::deterministic_system {
  agora::config cfg;
  gateway_actor gw;
  caf::timespan latency;

  explicit fixture(agora::config c = agora::config{}, uint64_t seed = 42)
    : cfg(std::move(c)),
      gw(spawn_simulated_gateway(sys, cfg, seed)),
      latency(std::chrono::milliseconds(cfg.payments.gateway_latency_ms)) {
    run();
  }

  ~fixture() {
    self->send_exit(gw, caf::exit_reason::user_shutdown);
    run();
  }

  /// Sends `req` from a one-shot client; the slot fills when it answers.
  template <class Reply = gateway_result, class Request>
  slot<Reply> send(Request req, caf::duration timeout = caf::infinite) {
    auto result = std::make_shared<std::optional<caf::expected<Reply>>>();
    runtime::spawn_oneshot(sys, [hdl = gw, req, timeout, result](caf::event_based_actor* client) {
      client->request(hdl, timeout, req)
        .then([result](Reply& x) { *result = std::move(x); },
              [result](caf::error& err) { *result = std::move(err); });
    });
    run();
    return result;
  }

  /// Moves the test clock forward, firing due timers, and runs what follows.
  void advance(caf::timespan d) {
    sched.advance_time(d);
    run();
  }

  /// Sends `req`, lets the gateway's latency pass and returns the answer.
  template <class Request>
  gateway_result call(Request req) {
    auto answer = send(std::move(req));
    REQUIRE_FALSE(answer->has_value()); // nothing before the latency
    advance(latency);
    REQUIRE(answer->has_value());
    REQUIRE(answer->value());
    return *answer->value();
  }

  ledger ledger_of(std::string payment_id = {}) {
    auto answer = send<ledger>(get_ledger{std::move(payment_id)});
    REQUIRE(answer->has_value()); // answered at once, no latency
    REQUIRE(answer->value());
    return *answer->value();
  }

  /// Ledger entries carrying `key`.
  size_t entries_with(const std::string& key) {
    size_t n = 0;
    for (const auto& e : ledger_of().entries)
      n += e.idempotency_key == key ? 1 : 0;
    return n;
  }
};

authorize auth(std::string key, std::string payment, int64_t cents, std::string token) {
  return authorize{std::move(key), std::move(payment), cents, "USD", std::move(token)};
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

// -- tokens -------------------------------------------------------------------

TEST_CASE("tok_ok authorizes, captures and refunds, and the ledger adds them up",
          "[gateway]") {
  fixture f;
  auto a = f.call(auth("p1/authorize/1", "p1", 5000, "tok_ok"));
  CHECK(a.outcome == outcome::approved);
  CHECK(a.approved());
  CHECK(starts_with(a.gateway_ref, "auth_"));
  CHECK(a.reason.empty());
  auto c = f.call(capture{"p1/capture/1", "p1", a.gateway_ref, 5000});
  CHECK(c.outcome == outcome::approved);
  CHECK(starts_with(c.gateway_ref, "cap_"));
  auto r1 = f.call(refund{"p1/refund/1", "p1", c.gateway_ref, 2000});
  CHECK(r1.outcome == outcome::approved);
  CHECK(starts_with(r1.gateway_ref, "rfnd_"));
  auto too_much = f.call(refund{"p1/refund/2", "p1", c.gateway_ref, 3001});
  CHECK(too_much.outcome == outcome::failed);
  CHECK(contains(too_much.reason, "refundable 3000 cents"));
  auto r2 = f.call(refund{"p1/refund/3", "p1", c.gateway_ref, 3000});
  CHECK(r2.outcome == outcome::approved);
  auto book = f.ledger_of("p1");
  REQUIRE(book.entries.size() == 5);
  CHECK(book.entries[0]
        == ledger_entry{"p1/authorize/1", operation::authorize, "p1", 5000, outcome::approved,
                        a.gateway_ref, ""});
  CHECK(book.entries[1].operation == operation::capture);
  CHECK(book.entries[3].outcome == outcome::failed);
  CHECK(book.entries[3].reason == too_much.reason);
  CHECK(book.entries[4].gateway_ref == r2.gateway_ref);
  CHECK(book.totals_of("p1") == payment_totals{"p1", 5000, 5000, 0, 5000});
}

TEST_CASE("a voided authorization can be neither captured nor voided again", "[gateway]") {
  fixture f;
  auto a = f.call(auth("p1/authorize/1", "p1", 1200, "tok_ok"));
  REQUIRE(a.approved());
  auto v = f.call(void_authorization{"p1/void/1", "p1", a.gateway_ref});
  CHECK(v.outcome == outcome::approved);
  CHECK(starts_with(v.gateway_ref, "void_"));
  auto c = f.call(capture{"p1/capture/1", "p1", a.gateway_ref, 1200});
  CHECK(c.outcome == outcome::failed);
  CHECK(c.reason == "authorization was voided");
  auto again = f.call(void_authorization{"p1/void/2", "p1", a.gateway_ref});
  CHECK(again.outcome == outcome::failed);
  CHECK(again.reason == "authorization was already voided");
  auto book = f.ledger_of("p1");
  REQUIRE(book.entries.size() == 4);
  CHECK(book.entries[1].amount_cents == 1200); // a void records the authorized amount
  CHECK(book.totals_of("p1") == payment_totals{"p1", 1200, 0, 1200, 0});
}

TEST_CASE("a captured authorization cannot be voided or captured twice", "[gateway]") {
  fixture f;
  auto a = f.call(auth("p1/authorize/1", "p1", 1000, "tok_ok"));
  auto c = f.call(capture{"p1/capture/1", "p1", a.gateway_ref, 800}); // partial capture
  CHECK(c.approved());
  CHECK(f.call(void_authorization{"p1/void/1", "p1", a.gateway_ref}).reason
        == "authorization was already captured");
  CHECK(f.call(capture{"p1/capture/2", "p1", a.gateway_ref, 200}).reason
        == "authorization was already captured");
  CHECK(f.ledger_of("p1").totals_of("p1") == payment_totals{"p1", 1000, 800, 0, 0});
}

TEST_CASE("captures and refunds must name an approved operation of the same payment",
          "[gateway]") {
  fixture f;
  auto a1 = f.call(auth("p1/authorize/1", "p1", 1000, "tok_ok"));
  auto a2 = f.call(auth("p2/authorize/1", "p2", 1000, "tok_ok"));
  auto over = f.call(capture{"p1/capture/1", "p1", a1.gateway_ref, 1001});
  CHECK(over.outcome == outcome::failed);
  CHECK(over.reason == "capture exceeds the authorized amount of 1000 cents");
  auto foreign = f.call(capture{"p1/capture/2", "p1", a2.gateway_ref, 100});
  CHECK(foreign.outcome == outcome::failed);
  CHECK(starts_with(foreign.reason, "no approved authorization"));
  auto unknown = f.call(capture{"p1/capture/3", "p1", "auth_nope", 100});
  CHECK(unknown.outcome == outcome::failed);
  auto c2 = f.call(capture{"p2/capture/1", "p2", a2.gateway_ref, 1000});
  REQUIRE(c2.approved());
  auto foreign_refund = f.call(refund{"p1/refund/1", "p1", c2.gateway_ref, 10});
  CHECK(foreign_refund.outcome == outcome::failed);
  CHECK(starts_with(foreign_refund.reason, "no approved capture"));
  CHECK(f.call(capture{"p1/capture/4", "p1", a1.gateway_ref, 0}).reason
        == "amount must be positive");
  auto totals = f.ledger_of();
  CHECK(totals.totals_of("p1") == payment_totals{"p1", 1000, 0, 0, 0});
  CHECK(totals.totals_of("p2") == payment_totals{"p2", 1000, 1000, 0, 0});
  // The whole ledger lists its payments by id, whatever order memory has.
  REQUIRE(totals.totals.size() == 2);
  CHECK(totals.totals[0].payment_id == "p1");
  CHECK(totals.totals[1].payment_id == "p2");
  // One payment's ledger holds its own entries only.
  auto p2 = f.ledger_of("p2");
  CHECK(p2.entries.size() == 2);
  for (const auto& e : p2.entries)
    CHECK(e.payment_id == "p2");
}

TEST_CASE("tok_declined declines at authorize and nothing can be captured", "[gateway]") {
  fixture f;
  auto a = f.call(auth("p1/authorize/1", "p1", 500, "tok_declined"));
  CHECK(a.outcome == outcome::declined);
  CHECK(a.reason == "card declined");
  CHECK_FALSE(a.gateway_ref.empty());
  auto c = f.call(capture{"p1/capture/1", "p1", a.gateway_ref, 500});
  CHECK(c.outcome == outcome::failed);
  auto book = f.ledger_of("p1");
  REQUIRE(book.entries.size() == 2);
  CHECK(book.entries[0].outcome == outcome::declined);
  CHECK(book.totals_of("p1") == payment_totals{"p1", 0, 0, 0, 0});
}

TEST_CASE("tok_capture_fails authorizes, fails every capture, and can be voided",
          "[gateway]") {
  fixture f;
  auto a = f.call(auth("p1/authorize/1", "p1", 700, "tok_capture_fails"));
  CHECK(a.outcome == outcome::approved);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto c = f.call(capture{"p1/capture/" + std::to_string(attempt), "p1", a.gateway_ref, 700});
    CHECK(c.outcome == outcome::failed);
    CHECK(c.reason == "capture refused by the issuer");
  }
  // The saga's compensation: the authorization is released.
  CHECK(f.call(void_authorization{"p1/void/1", "p1", a.gateway_ref}).approved());
  CHECK(f.ledger_of("p1").totals_of("p1") == payment_totals{"p1", 700, 0, 700, 0});
}

TEST_CASE("an unknown token is declined", "[gateway]") {
  fixture f;
  auto a = f.call(auth("p1/authorize/1", "p1", 500, "tok_gold"));
  CHECK(a.outcome == outcome::declined);
  CHECK(a.reason == "unknown token");
  auto empty = f.call(auth("p2/authorize/1", "p2", 500, ""));
  CHECK(empty.outcome == outcome::declined);
  CHECK(empty.reason == "unknown token");
}

TEST_CASE("malformed authorizations fail", "[gateway]") {
  fixture f;
  CHECK(f.call(auth("p1/authorize/1", "p1", 0, "tok_ok")).reason == "amount must be positive");
  auto bad_currency = f.call(authorize{"p1/authorize/2", "p1", 100, "usd", "tok_ok"});
  CHECK(bad_currency.outcome == outcome::failed);
  CHECK(contains(bad_currency.reason, "ISO 4217"));
}

TEST_CASE("amounts above the configured limit are declined at authorize", "[gateway]") {
  SECTION("the default limit is 1,000,000 cents") {
    fixture f;
    CHECK(f.call(auth("p1/authorize/1", "p1", 1000000, "tok_ok")).approved());
    auto over = f.call(auth("p2/authorize/1", "p2", 1000001, "tok_ok"));
    CHECK(over.outcome == outcome::declined);
    CHECK(over.reason == "amount exceeds the limit of 1000000 cents");
  }
  SECTION("a configured limit") {
    auto cfg = agora::config{};
    cfg.payments.amount_limit_cents = 10000;
    fixture f{cfg};
    CHECK(f.call(auth("p1/authorize/1", "p1", 10000, "tok_ok")).approved());
    CHECK(f.call(auth("p2/authorize/1", "p2", 10001, "tok_ok")).outcome == outcome::declined);
    // The limit applies to every token that would otherwise approve.
    CHECK(f.call(auth("p3/authorize/1", "p3", 10001, "tok_flaky")).outcome
          == outcome::declined);
    CHECK(f.ledger_of().totals_of("p2").authorized_cents == 0);
  }
}

TEST_CASE("tok_flaky fails the first attempt of each operation, then approves",
          "[gateway]") {
  fixture f;
  auto first = f.call(auth("p1/authorize/1", "p1", 900, "tok_flaky"));
  CHECK(first.outcome == outcome::failed);
  CHECK(contains(first.reason, "tok_flaky"));
  // The same key repeats the recorded failure; a new attempt group approves.
  CHECK(f.call(auth("p1/authorize/1", "p1", 900, "tok_flaky")) == first);
  auto a = f.call(auth("p1/authorize/2", "p1", 900, "tok_flaky"));
  REQUIRE(a.approved());
  CHECK(f.call(capture{"p1/capture/1", "p1", a.gateway_ref, 900}).outcome == outcome::failed);
  auto c = f.call(capture{"p1/capture/2", "p1", a.gateway_ref, 900});
  REQUIRE(c.approved());
  CHECK(f.call(refund{"p1/refund/1", "p1", c.gateway_ref, 100}).outcome == outcome::failed);
  CHECK(f.call(refund{"p1/refund/2", "p1", c.gateway_ref, 100}).approved());
  // Once an operation succeeded, later attempts of it are not failed again.
  CHECK(f.call(refund{"p1/refund/3", "p1", c.gateway_ref, 100}).approved());
  // Voids too, and every payment starts over.
  auto b1 = f.call(auth("p2/authorize/1", "p2", 400, "tok_flaky"));
  CHECK(b1.outcome == outcome::failed);
  auto b = f.call(auth("p2/authorize/2", "p2", 400, "tok_flaky"));
  REQUIRE(b.approved());
  CHECK(f.call(void_authorization{"p2/void/1", "p2", b.gateway_ref}).outcome
        == outcome::failed);
  CHECK(f.call(void_authorization{"p2/void/2", "p2", b.gateway_ref}).approved());
  auto book = f.ledger_of();
  CHECK(book.totals_of("p1") == payment_totals{"p1", 900, 900, 0, 200});
  CHECK(book.totals_of("p2") == payment_totals{"p2", 400, 0, 400, 0});
}

// -- idempotency ----------------------------------------------------------------

TEST_CASE("a repeated key answers the first result and charges exactly once",
          "[gateway]") {
  fixture f;
  auto a = f.call(auth("p1/authorize/1", "p1", 2500, "tok_ok"));
  REQUIRE(a.approved());
  auto a_again = f.call(auth("p1/authorize/1", "p1", 2500, "tok_ok"));
  CHECK(a_again == a);
  auto c = f.call(capture{"p1/capture/1", "p1", a.gateway_ref, 2500});
  REQUIRE(c.approved());
  for (int i = 0; i < 3; ++i)
    CHECK(f.call(capture{"p1/capture/1", "p1", a.gateway_ref, 2500}) == c);
  // Even a request that differs under the same key only repeats the first.
  CHECK(f.call(capture{"p1/capture/1", "p1", a.gateway_ref, 1}) == c);
  CHECK(f.entries_with("p1/authorize/1") == 1);
  CHECK(f.entries_with("p1/capture/1") == 1);
  auto book = f.ledger_of("p1");
  CHECK(book.entries.size() == 2);
  CHECK(book.totals_of("p1") == payment_totals{"p1", 2500, 2500, 0, 0});
}

TEST_CASE("a repeat while the first request is in flight gets the same answer",
          "[gateway]") {
  fixture f;
  auto a = f.call(auth("p1/authorize/1", "p1", 3000, "tok_ok"));
  std::vector<slot<gateway_result>> answers;
  for (int i = 0; i < 3; ++i) {
    answers.push_back(f.send(capture{"p1/capture/1", "p1", a.gateway_ref, 3000}));
    f.advance(f.latency / 4); // the first is still pending when the others arrive
  }
  CHECK_FALSE(answers[0]->has_value());
  CHECK(f.entries_with("p1/capture/1") == 1); // decided once, on the first's arrival
  f.advance(f.latency);
  for (auto& answer : answers) {
    REQUIRE(answer->has_value());
    REQUIRE(answer->value());
  }
  auto first = *answers[0]->value();
  CHECK(first.approved());
  CHECK(*answers[1]->value() == first);
  CHECK(*answers[2]->value() == first);
  CHECK(f.entries_with("p1/capture/1") == 1);
  CHECK(f.ledger_of("p1").totals_of("p1").captured_cents == 3000);
}

TEST_CASE("a request without an idempotency key is refused and not recorded",
          "[gateway]") {
  fixture f;
  auto answer = f.send(auth("", "p1", 100, "tok_ok"));
  REQUIRE(answer->has_value());
  REQUIRE(answer->value());
  CHECK(answer->value()->outcome == outcome::failed);
  CHECK(answer->value()->reason == "missing idempotency key");
  CHECK(f.ledger_of().entries.empty());
}

// -- latency and tok_slow ---------------------------------------------------------

TEST_CASE("answers come after the configured latency", "[gateway]") {
  auto cfg = agora::config{};
  cfg.payments.gateway_latency_ms = 250;
  fixture f{cfg};
  auto answer = f.send(auth("p1/authorize/1", "p1", 100, "tok_ok"));
  f.run();
  CHECK(f.ledger_of().entries.size() == 1); // decided on arrival
  f.advance(249ms);
  CHECK_FALSE(answer->has_value());
  f.advance(1ms);
  REQUIRE(answer->has_value());
  CHECK(answer->value()->approved());
  // A repeat of a decided key is answered after the latency as well.
  auto repeat = f.send(auth("p1/authorize/1", "p1", 100, "tok_ok"));
  f.advance(249ms);
  CHECK_FALSE(repeat->has_value());
  f.advance(1ms);
  REQUIRE(repeat->has_value());
  CHECK(*repeat->value() == *answer->value());
}

TEST_CASE("with zero latency the gateway answers without a timer", "[gateway]") {
  auto cfg = agora::config{};
  cfg.payments.gateway_latency_ms = 0;
  fixture f{cfg};
  auto answer = f.send(auth("p1/authorize/1", "p1", 100, "tok_ok"));
  REQUIRE(answer->has_value());
  CHECK(answer->value()->approved());
}

TEST_CASE("tok_slow answers after the caller gave up, is recorded once, and a retry with "
          "the same key gets the recorded result",
          "[gateway]") {
  fixture f;
  REQUIRE(f.cfg.payments.slow_delay_ms == 15000);
  auto timed_out =
    f.send(auth("p1/authorize/1", "p1", 4200, "tok_slow"), caf::duration{std::chrono::seconds(5)});
  f.advance(f.latency);
  CHECK_FALSE(timed_out->has_value());
  f.advance(5s);
  REQUIRE(timed_out->has_value());
  REQUIRE_FALSE(timed_out->value());
  CHECK(timed_out->value().error() == caf::sec::request_timeout);
  // A retry with the same key joins the request still in flight (decided on
  // arrival, answered when its delay has passed).
  auto joined = f.send(auth("p1/authorize/1", "p1", 4200, "tok_slow"));
  f.run();
  CHECK(f.ledger_of().entries.size() == 1);
  CHECK_FALSE(joined->has_value());
  f.advance(10s - f.latency);
  REQUIRE(joined->has_value());
  REQUIRE(joined->value());
  auto first = *joined->value();
  CHECK(first.approved());
  auto book = f.ledger_of("p1");
  REQUIRE(book.entries.size() == 1);
  CHECK(book.entries[0].gateway_ref == first.gateway_ref);
  // After the decision, the same key answers at the normal latency.
  CHECK(f.call(auth("p1/authorize/1", "p1", 4200, "tok_slow")) == first);
  CHECK(f.entries_with("p1/authorize/1") == 1);
  // Later operations of the payment are slow as well.
  auto c = f.send(capture{"p1/capture/1", "p1", first.gateway_ref, 4200});
  f.advance(14999ms);
  CHECK_FALSE(c->has_value());
  f.advance(1ms);
  REQUIRE(c->has_value());
  CHECK(c->value()->approved());
  CHECK(f.ledger_of("p1").totals_of("p1") == payment_totals{"p1", 4200, 4200, 0, 0});
}

// -- failure rate -------------------------------------------------------------------

TEST_CASE("the failure rate fails tok_ok operations, reproducibly for a seed",
          "[gateway]") {
  SECTION("rate 1 fails every tok_ok operation but leaves other tokens alone") {
    auto cfg = agora::config{};
    cfg.payments.gateway_failure_rate = 1.0;
    fixture f{cfg};
    auto a = f.call(auth("p1/authorize/1", "p1", 100, "tok_ok"));
    CHECK(a.outcome == outcome::failed);
    CHECK(a.reason == "simulated gateway failure");
    CHECK(f.call(auth("p2/authorize/1", "p2", 100, "tok_capture_fails")).approved());
  }
  SECTION("rate 0.5: some fail, some approve, the same for the same seed") {
    auto cfg = agora::config{};
    cfg.payments.gateway_failure_rate = 0.5;
    auto outcomes = [&](uint64_t seed) {
      fixture f{cfg, seed};
      std::vector<outcome> result;
      for (int i = 0; i < 100; ++i) {
        auto id = std::to_string(i);
        id.insert(id.begin(), 'p');
        result.push_back(f.call(auth(id + "/authorize/1", id, 100, "tok_ok")).outcome);
      }
      return result;
    };
    auto run1 = outcomes(7);
    auto run2 = outcomes(7);
    CHECK(run1 == run2);
    auto failed = std::count(run1.begin(), run1.end(), outcome::failed);
    CHECK(failed > 25);
    CHECK(failed < 75);
    CHECK(std::count(run1.begin(), run1.end(), outcome::approved) == 100 - failed);
  }
}

// -- ledger -------------------------------------------------------------------------

TEST_CASE("the ledger filters by payment and totals every payment", "[gateway]") {
  fixture f;
  auto a1 = f.call(auth("p1/authorize/1", "p1", 1000, "tok_ok"));
  auto a2 = f.call(auth("p2/authorize/1", "p2", 2000, "tok_ok"));
  f.call(capture{"p1/capture/1", "p1", a1.gateway_ref, 1000});
  f.call(void_authorization{"p2/void/1", "p2", a2.gateway_ref});
  f.call(auth("p3/authorize/1", "p3", 10, "tok_declined"));
  auto all = f.ledger_of();
  CHECK(all.entries.size() == 5);
  REQUIRE(all.totals.size() == 3);
  CHECK(all.totals[0] == payment_totals{"p1", 1000, 1000, 0, 0});
  CHECK(all.totals[1] == payment_totals{"p2", 2000, 0, 2000, 0});
  CHECK(all.totals[2] == payment_totals{"p3", 0, 0, 0, 0});
  auto p2 = f.ledger_of("p2");
  REQUIRE(p2.entries.size() == 2);
  CHECK(p2.entries[0].payment_id == "p2");
  CHECK(p2.entries[1].operation == operation::void_authorization);
  REQUIRE(p2.totals.size() == 1);
  CHECK(f.ledger_of("nobody").entries.empty());
  CHECK(f.ledger_of("nobody").totals_of("nobody") == payment_totals{"nobody", 0, 0, 0, 0});
}

TEST_CASE("gateway messages print readably", "[gateway]") {
  CHECK(caf::deep_to_string(gateway_result{outcome::declined, "auth_1", "card declined"})
        == R"(gateway_result(declined, "auth_1", "card declined"))");
  CHECK(to_string(operation::void_authorization) == "void_authorization");
}
