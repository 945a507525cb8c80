// The simulated payment gateway with its ledger in PostgreSQL: a gateway
// started again on the same table answers a repeated idempotency key from it
// (never charging again) and knows the authorizations, captures and refunds
// of its earlier life.
#include <catch2/catch.hpp>

#include "actors/payment/simulated_gateway.hpp"
#include "config/config.hpp"
#include "persistence/pg/connection.hpp"
#include "tests/integration/support/actors.hpp"
#include "tests/integration/support/test_db.hpp"

using namespace agora;
using namespace agora::payment;

namespace {

gateway_result call(caf::actor_system& sys, const gateway_actor& gw, auto request) {
  auto r = test::ask<gateway_result>(sys, gw, std::move(request));
  REQUIRE(r);
  return *r;
}

int64_t ledger_rows(const test::test_database& db) {
  auto conn = db.connect();
  auto r = conn->exec("SELECT count(*) FROM gateway_ledger");
  REQUIRE(r);
  return r.int64(0, 0);
}

} // namespace

TEST_CASE("a durable gateway answers from its ledger after a restart",
          "[integration][gateway]") {
  test::test_database db;
  auto cfg = db.make_config();
  cfg.payments.gateway_latency_ms = 0;
  test::test_system ts;
  authorize auth{"p1/authorize/1", "p1", 1000, "USD", "tok_ok"};
  std::string auth_ref, capture_ref;
  {
    auto gw = spawn_durable_simulated_gateway(ts.sys, cfg, 1);
    test::stop_on_exit guard{gw};
    auto a = call(ts.sys, gw, auth);
    REQUIRE(a.approved());
    auth_ref = a.gateway_ref;
    auto c = call(ts.sys, gw, capture{"p1/capture/1", "p1", auth_ref, 1000});
    REQUIRE(c.approved());
    capture_ref = c.gateway_ref;
    REQUIRE(call(ts.sys, gw, refund{"p1/refund/1", "p1", capture_ref, 300}).approved());
    CHECK(call(ts.sys, gw, authorize{"p2/authorize/1", "p2", 50, "USD", "tok_declined"})
            .outcome == outcome::declined);
  }
  CHECK(ledger_rows(db) == 4);

  auto gw = spawn_durable_simulated_gateway(ts.sys, cfg, 2);
  test::stop_on_exit guard{gw};
  // The same key: the first answer again, nothing new recorded.
  auto again = call(ts.sys, gw, auth);
  CHECK(again.approved());
  CHECK(again.gateway_ref == auth_ref);
  CHECK(ledger_rows(db) == 4);
  // The restored state decides new requests: the authorization was captured,
  // 700 of the capture remain refundable.
  CHECK(call(ts.sys, gw, capture{"p1/capture/2", "p1", auth_ref, 1000}).outcome ==
        outcome::failed);
  CHECK(call(ts.sys, gw, refund{"p1/refund/2", "p1", capture_ref, 701}).outcome ==
        outcome::failed);
  CHECK(call(ts.sys, gw, refund{"p1/refund/3", "p1", capture_ref, 700}).approved());
  auto l = test::ask<ledger>(ts.sys, gw, get_ledger{"p1"});
  REQUIRE(l);
  auto totals = l->totals_of("p1");
  CHECK(totals.authorized_cents == 1000);
  CHECK(totals.captured_cents == 1000);
  CHECK(totals.refunded_cents == 1000);
  CHECK(l->entries.size() == 6);
  CHECK(ledger_rows(db) == 7);
}
