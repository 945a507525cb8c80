// The simulated payment gateway with its ledger in PostgreSQL: a gateway
// started again on the same table answers a repeated idempotency key from it
// (never charging again) and knows the authorizations, captures and refunds
// of its earlier life. A decision is written while the configured latency
// runs, and answered after it. It holds a bounded number of payments in memory and
// reads the others back from the table; a payment it cannot read back, or
// whose decision the table did not take, is never decided again.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "actors/common/metrics.hpp"
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

/// Makes the ledger table refuse (or take again) the rows of payment p9.
void refuse_p9(const test::test_database& db, bool refuse) {
  db.query(refuse ? "ALTER TABLE gateway_ledger ADD CONSTRAINT refuse_p9 "
                    "CHECK (payment_id <> 'p9')"
                  : "ALTER TABLE gateway_ledger DROP CONSTRAINT refuse_p9");
}

/// The gateway reference of the one ledger row of `payment_id`.
std::string stored_ref(const test::test_database& db, const std::string& payment_id) {
  auto conn = db.connect();
  auto r = conn->exec("SELECT gateway_ref FROM gateway_ledger WHERE payment_id = '" +
                      payment_id + "'");
  REQUIRE(r);
  REQUIRE(r.rows() == 1);
  return std::string{r.text(0, 0)};
}

/// A gateway that answers at once, holds at most `max_payments` in memory
/// and gives up on a statement after half a second.
agora::config gateway_config(const test::test_database& db, int64_t max_payments = 100000) {
  auto cfg = db.make_config();
  cfg.payments.gateway_latency_ms = 0;
  cfg.payments.gateway_max_payments = max_payments;
  cfg.pg.write_timeout_ms = 500;
  return cfg;
}

/// A durable gateway of its own database, configured by gateway_config.
struct bounded_gateway {
  explicit bounded_gateway(int64_t max_payments)
      : gw(spawn_durable_simulated_gateway(ts.sys, gateway_config(db, max_payments), 1)) {}
  test::test_database db;
  test::test_system ts;
  gateway_actor gw;
  test::stop_on_exit<gateway_actor> guard{gw};
};

} // namespace

TEST_CASE("a durable gateway answers from its ledger after a restart",
          "[integration][gateway]") {
  test::test_database db;
  auto cfg = gateway_config(db);
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
  test::stop_on_exit<gateway_actor> guard{gw};
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

TEST_CASE("a durable gateway writes a decision while its latency runs, and answers after it",
          "[integration][gateway]") {
  test::test_database db;
  auto cfg = gateway_config(db);
  cfg.payments.gateway_latency_ms = 1000;
  test::test_system ts;
  auto gw = spawn_durable_simulated_gateway(ts.sys, cfg, 1);
  test::stop_on_exit guard{gw};
  std::atomic<bool> answered{false};
  std::optional<caf::expected<gateway_result>> answer;
  auto sent = std::chrono::steady_clock::now();
  std::thread caller([&] {
    answer = test::ask<gateway_result>(ts.sys, gw,
                                       authorize{"p1/authorize/1", "p1", 1000, "USD", "tok_ok"});
    answered = true;
  });
  // The row is in the table long before the answer is due.
  int64_t rows = 0;
  for (int i = 0; i < 40 && rows == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    rows = ledger_rows(db);
  }
  bool early = answered;
  caller.join();
  CHECK(rows == 1);
  CHECK_FALSE(early);
  CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::milliseconds(1000));
  REQUIRE(answer);
  REQUIRE(*answer);
  CHECK((*answer)->approved());
  CHECK(stored_ref(db, "p1") == (*answer)->gateway_ref);
}

TEST_CASE("a durable gateway keeps gateway_max_payments in memory and reads the others back",
          "[integration][gateway]") {
  bounded_gateway f{2};
  auto& in_memory = metrics::get_gauge("agora_gateway_sim_payments", "");
  std::vector<std::string> refs;
  for (int i = 1; i <= 5; ++i) {
    std::string pid{'p', static_cast<char>('0' + i)};
    auto a = call(f.ts.sys, f.gw, authorize{pid + "/authorize/1", pid, 1000 * i, "USD", "tok_ok"});
    REQUIRE(a.approved());
    refs.push_back(a.gateway_ref);
    CHECK(in_memory.value() == std::min(i, 2));
  }
  // p1 was forgotten: its key is answered from the table, nothing new recorded.
  auto again = call(f.ts.sys, f.gw, authorize{"p1/authorize/1", "p1", 1000, "USD", "tok_ok"});
  CHECK(again.gateway_ref == refs[0]);
  CHECK(ledger_rows(f.db) == 5);
  // Its authorization is known again: it can be captured, once.
  CHECK(call(f.ts.sys, f.gw, capture{"p1/capture/1", "p1", refs[0], 1000}).approved());
  CHECK(call(f.ts.sys, f.gw, capture{"p1/capture/2", "p1", refs[0], 1000}).outcome ==
        outcome::failed);
  CHECK(in_memory.value() == 2);
  // The ledger of a forgotten payment, and the whole ledger, come from the table.
  auto p2 = test::ask<ledger>(f.ts.sys, f.gw, get_ledger{"p2"});
  REQUIRE(p2);
  REQUIRE(p2->entries.size() == 1);
  CHECK(p2->totals_of("p2").authorized_cents == 2000);
  auto all = test::ask<ledger>(f.ts.sys, f.gw, get_ledger{""});
  REQUIRE(all);
  CHECK(all->entries.size() == 7);
  CHECK(all->totals.size() == 5);
  CHECK(all->totals_of("p1").captured_cents == 1000);
  CHECK(all->totals_of("p5").authorized_cents == 5000);
  CHECK(in_memory.value() == 2);
  // Repeats for more forgotten payments than memory holds, arriving together:
  // read back in one go, every one answered from the table.
  for (const auto* pid : {"p6", "p7"}) // memory holds these two only
    REQUIRE(call(f.ts.sys, f.gw, authorize{std::string(pid) + "/authorize/1", pid, 100, "USD",
                                       "tok_ok"})
              .approved());
  caf::scoped_actor client{f.ts.sys};
  for (int i = 1; i <= 4; ++i) {
    std::string pid{'p', static_cast<char>('0' + i)};
    client->send(f.gw, authorize{pid + "/authorize/1", pid, 1000 * i, "USD", "tok_ok"});
  }
  std::set<std::string> answered;
  for (int i = 0; i < 4; ++i)
    client->receive([&](gateway_result& r) { answered.insert(r.gateway_ref); },
                    caf::after(std::chrono::seconds(10)) >> [] { FAIL("no answer"); });
  CHECK(answered == std::set<std::string>(refs.begin(), refs.begin() + 4));
  CHECK(ledger_rows(f.db) == 9);
  CHECK(in_memory.value() == 2);
}

TEST_CASE("a payment the gateway cannot read back is answered unavailable, never decided again",
          "[integration][gateway]") {
  bounded_gateway f{1};
  authorize first{"p1/authorize/1", "p1", 1000, "USD", "tok_ok"};
  auto a = call(f.ts.sys, f.gw, first);
  REQUIRE(a.approved());
  REQUIRE(call(f.ts.sys, f.gw, authorize{"p2/authorize/1", "p2", 100, "USD", "tok_ok"}).approved());
  // p1 is forgotten, and its rows cannot be read (the prepared read fails
  // once a column's type changed under it).
  auto conn = f.db.connect();
  REQUIRE(conn->exec("ALTER TABLE gateway_ledger ALTER COLUMN reason DROP DEFAULT, "
                     "ALTER COLUMN reason TYPE integer USING 0"));
  auto failed = test::ask<gateway_result>(f.ts.sys, f.gw, first);
  REQUIRE_FALSE(failed);
  CHECK(failed.error() == errc::unavailable);
  CHECK_FALSE(test::ask<ledger>(f.ts.sys, f.gw, get_ledger{"p1"}));
  CHECK(ledger_rows(f.db) == 2);
  // Readable again: the same key gets the first answer.
  REQUIRE(conn->exec("ALTER TABLE gateway_ledger ALTER COLUMN reason TYPE text, "
                     "ALTER COLUMN reason SET DEFAULT ''"));
  auto again = call(f.ts.sys, f.gw, first);
  CHECK(again.gateway_ref == a.gateway_ref);
  CHECK(ledger_rows(f.db) == 2);
}

TEST_CASE("a decision the table did not take stays in memory until written",
          "[integration][gateway]") {
  bounded_gateway f{1};
  refuse_p9(f.db, true);
  authorize first{"p9/authorize/1", "p9", 1000, "USD", "tok_ok"};
  auto a = call(f.ts.sys, f.gw, first); // decided and answered; its write fails
  REQUIRE(a.approved());
  CHECK(ledger_rows(f.db) == 0);
  // Another payment beyond the bound of one: p9 is not forgotten, so its key
  // is answered from memory, not decided again.
  CHECK(call(f.ts.sys, f.gw, authorize{"p8/authorize/1", "p8", 100, "USD", "tok_ok"}).approved());
  CHECK(call(f.ts.sys, f.gw, first).gateway_ref == a.gateway_ref);
  // Once the table takes it, the next decisions write it too.
  refuse_p9(f.db, false);
  CHECK(call(f.ts.sys, f.gw, authorize{"p7/authorize/1", "p7", 100, "USD", "tok_ok"}).approved());
  CHECK(ledger_rows(f.db) == 3);
  CHECK(stored_ref(f.db, "p9") == a.gateway_ref);
}

TEST_CASE("a decision the table did not take is written again without further traffic",
          "[integration][gateway]") {
  bounded_gateway f{1};
  refuse_p9(f.db, true);
  auto a = call(f.ts.sys, f.gw, authorize{"p9/authorize/1", "p9", 1000, "USD", "tok_ok"});
  REQUIRE(a.approved());
  CHECK(ledger_rows(f.db) == 0);
  // The table takes it again, and no decision comes to write it with: the
  // simulator's own retry writes it (and retries again until then).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(ledger_rows(f.db) == 0);
  refuse_p9(f.db, false);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ledger_rows(f.db) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(stored_ref(f.db, "p9") == a.gateway_ref);
}

TEST_CASE("a ledger read stuck behind a lock fails after pg.write_timeout_ms",
          "[integration][gateway]") {
  bounded_gateway f{1};
  authorize first{"p1/authorize/1", "p1", 1000, "USD", "tok_ok"};
  auto a = call(f.ts.sys, f.gw, first);
  REQUIRE(call(f.ts.sys, f.gw, authorize{"p2/authorize/1", "p2", 100, "USD", "tok_ok"})
            .approved());
  // Another session holds the table: p1 (forgotten) and the whole ledger
  // cannot be read; each read gives up instead of holding every call.
  auto locker = f.db.connect();
  REQUIRE(locker->exec("BEGIN"));
  REQUIRE(locker->exec("LOCK TABLE gateway_ledger IN ACCESS EXCLUSIVE MODE"));
  auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(test::ask<ledger>(f.ts.sys, f.gw, get_ledger{""}));
  auto repeat = test::ask<gateway_result>(f.ts.sys, f.gw, first);
  REQUIRE_FALSE(repeat);
  CHECK(repeat.error() == errc::unavailable);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  REQUIRE(locker->exec("ROLLBACK"));
  CHECK(call(f.ts.sys, f.gw, first).gateway_ref == a.gateway_ref);
  auto all = test::ask<ledger>(f.ts.sys, f.gw, get_ledger{""});
  REQUIRE(all);
  CHECK(all->entries.size() == 2);
}
