// The small request-level stores against PostgreSQL: idempotency keys (claim,
// replay, mismatch, in progress, release, takeover of abandoned claims) and
// token revocations; both answer unavailable when the database is down, and
// the idempotency store when a statement outlasts its timeout.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include "actors/common/time.hpp"
#include "persistence/pg/idempotency_store.hpp"
#include "persistence/pg/revocation_store.hpp"
#include "tests/integration/support/actors.hpp"
#include "tests/integration/support/test_db.hpp"

using namespace agora;
using namespace agora::persistence;

namespace {

constexpr const char* unreachable = "host=127.0.0.1 port=1 dbname=agora user=postgres "
                                    "connect_timeout=2";

/// Waits (at most 10 s) for what a store call passes to its callback.
template <class T, class Call>
result<T> answer_of(Call call) {
  auto answer = std::make_shared<std::promise<result<T>>>();
  call([answer](result<T> r) { answer->set_value(std::move(r)); });
  auto f = answer->get_future();
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  return f.get();
}

result<idempotency_record> claimed(const idempotency_store_actor& store, idempotency_claim c) {
  return answer_of<idempotency_record>(
    [&](claim_fn done) { persistence::claim(store, std::move(c), std::move(done)); });
}

result<bool> completed(const idempotency_store_actor& store, idempotency_completion c) {
  return answer_of<bool>(
    [&](completion_fn done) { persistence::complete(store, std::move(c), std::move(done)); });
}

claim_kind claim_key(const idempotency_store_actor& store, const std::string& key,
                     const std::string& hash, idempotency_record* out = nullptr) {
  auto r = claimed(store, idempotency_claim{"anonymous POST /x", key, hash});
  REQUIRE(r);
  if (out)
    *out = *r;
  return r->kind;
}

bool complete_key(const idempotency_store_actor& store, const std::string& key, int32_t status,
                  const std::string& response, const std::string& hash = "h") {
  auto r = completed(store,
                     idempotency_completion{"anonymous POST /x", key, status, response, hash});
  return r && *r;
}

} // namespace

TEST_CASE("an idempotency key is claimed once and then replays its response",
          "[integration][idempotency]") {
  test::test_database db;
  test::test_system ts;
  auto store = spawn_idempotency_store(ts.sys, db.conninfo());
  test::stop_on_exit guard{store};
  CHECK(claim_key(store, "k1", "h1") == claim_kind::fresh);
  // While the first request runs, repeats are told so.
  CHECK(claim_key(store, "k1", "h1") == claim_kind::in_progress);
  REQUIRE(complete_key(store, "k1", 201, R"({"body":"{}"})", "h1"));
  idempotency_record rec;
  CHECK(claim_key(store, "k1", "h1", &rec) == claim_kind::replay);
  CHECK(rec.status == 201);
  CHECK(rec.response == R"({"body": "{}"})");
  CHECK(claim_key(store, "k1", "other body") == claim_kind::mismatch);
  // Keys are per scope.
  auto r = claimed(store, idempotency_claim{"customer:c1 POST /x", "k1", "h1"});
  REQUIRE(r);
  CHECK(r->kind == claim_kind::fresh);
}

TEST_CASE("idempotency claims and completions arriving together share one transaction",
          "[integration][idempotency]") {
  test::test_database db;
  test::test_system ts;
  auto store = spawn_idempotency_store(ts.sys, db.conninfo());
  test::stop_on_exit guard{store};
  CHECK(claim_key(store, "done", "h") == claim_kind::fresh);
  CHECK(claim_key(store, "failed", "h") == claim_kind::fresh);
  // Sent without waiting, they queue in the store's mailbox and are written
  // in one transaction, each kind as one statement per run of distinct keys;
  // each still gets its own answer, in order.
  struct answers {
    std::mutex mtx;
    std::vector<claim_kind> kinds;
    int completed = 0;
    int failed = 0;
    int missing = 28;
    std::promise<void> all;
  };
  auto got = std::make_shared<answers>();
  auto note = [got](auto record) {
    std::lock_guard lock{got->mtx};
    if (!record)
      ++got->failed;
    else if constexpr (std::is_same_v<decltype(record), result<bool>>)
      got->completed += *record ? 1 : 0;
    else
      got->kinds.push_back(record->kind);
    if (--got->missing == 0)
      got->all.set_value();
  };
  auto send_claim = [&](const std::string& key, const std::string& hash) {
    persistence::claim(store, idempotency_claim{"anonymous POST /x", key, hash},
                       [note](result<idempotency_record> r) { note(std::move(r)); });
  };
  auto send_completion = [&](const std::string& key, int32_t status, std::string response) {
    persistence::complete(store,
                          idempotency_completion{"anonymous POST /x", key, status, response, "h"},
                          [note](result<bool> r) { note(std::move(r)); });
  };
  for (int i = 0; i < 20; ++i) {
    std::string key = std::to_string(i);
    key.insert(0, 1, 'k'); // (not "k" + ...: g++ 12 warns falsely about that)
    send_claim(key, "h");
  }
  send_claim("k0", "h");                                 // the same key again
  send_claim("k1", "other");                             // another body
  send_completion("done", 200, R"({"body":"{}"})");
  send_claim("done", "h");                               // sees the completion above
  send_completion("failed", 0, "");                      // released...
  send_claim("failed", "h");                             // ...and claimed again
  const std::string tricky = R"(a "key", {with} \ array, NULL syntax)";
  send_claim(tricky, "h");
  send_completion(tricky, 201, R"({"body":"{\"a\":\"}\"}"})");
  REQUIRE(got->all.get_future().wait_for(std::chrono::seconds(10)) ==
          std::future_status::ready);
  std::lock_guard lock{got->mtx};
  CHECK(got->failed == 0);
  const auto& kinds = got->kinds;
  const auto completed = got->completed;
  REQUIRE(kinds.size() == 25);
  for (int i = 0; i < 20; ++i)
    CHECK(kinds[static_cast<std::size_t>(i)] == claim_kind::fresh);
  CHECK(kinds[20] == claim_kind::in_progress);
  CHECK(kinds[21] == claim_kind::mismatch);
  CHECK(kinds[22] == claim_kind::replay);
  CHECK(kinds[23] == claim_kind::fresh);
  CHECK(kinds[24] == claim_kind::fresh);
  CHECK(completed == 3);
  idempotency_record rec;
  CHECK(claim_key(store, tricky, "h", &rec) == claim_kind::replay);
  CHECK(rec.status == 201);
  CHECK(rec.response == R"({"body": "{\"a\":\"}\"}"})");
  // Committed: a fresh store replays them.
  auto fresh_store = spawn_idempotency_store(ts.sys, db.conninfo());
  test::stop_on_exit guard2{fresh_store};
  CHECK(claim_key(fresh_store, "k19", "h") == claim_kind::in_progress);
}

TEST_CASE("a released or abandoned idempotency claim can be taken again",
          "[integration][idempotency]") {
  test::test_database db;
  test::test_system ts;
  auto store = spawn_idempotency_store(ts.sys, db.conninfo());
  test::stop_on_exit guard{store};
  CHECK(claim_key(store, "k2", "h") == claim_kind::fresh);
  REQUIRE(complete_key(store, "k2", 0, "")); // a 5xx: released
  CHECK(claim_key(store, "k2", "h") == claim_kind::fresh);
  // A claim left in progress by a node that died is taken over after a while.
  db.query("UPDATE idempotency_keys SET created_at = now() - interval '2 minutes' "
           "WHERE key = 'k2'");
  CHECK(claim_key(store, "k2", "h") == claim_kind::fresh);
  // Keys older than 48 hours are forgotten (purged on the store's first claim).
  db.query("UPDATE idempotency_keys SET created_at = now() - interval '3 days', status = 200, "
           "response = '{}' WHERE key = 'k2'");
  auto fresh_store = spawn_idempotency_store(ts.sys, db.conninfo());
  test::stop_on_exit guard2{fresh_store};
  CHECK(claim_key(fresh_store, "k3", "h") == claim_kind::fresh);
  CHECK(db.query("SELECT count(*) FROM idempotency_keys WHERE key = 'k2'") == "0");
}

TEST_CASE("an idempotency key whose row is gone when it completes is written again",
          "[integration][idempotency]") {
  test::test_database db;
  test::test_system ts;
  auto store = spawn_idempotency_store(ts.sys, db.conninfo());
  test::stop_on_exit guard{store};
  CHECK(claim_key(store, "k4", "h4") == claim_kind::fresh);
  // Purged while its request ran (a request that outlasted the 48 hours).
  db.query("DELETE FROM idempotency_keys WHERE key = 'k4'");
  REQUIRE(complete_key(store, "k4", 201, R"({"body":"{}"})", "h4"));
  idempotency_record rec;
  CHECK(claim_key(store, "k4", "h4", &rec) == claim_kind::replay);
  CHECK(rec.status == 201);
  CHECK(claim_key(store, "k4", "other body") == claim_kind::mismatch);
}

TEST_CASE("revocations are stored and loaded back unexpired only", "[integration][auth]") {
  test::test_database db;
  test::test_system ts;
  auto store = spawn_revocation_store(ts.sys, db.conninfo());
  test::stop_on_exit guard{store};
  auto in_an_hour = now_us() + 3'600'000'000;
  auto ok = test::ask<bool>(ts.sys, store, revoke_atom_v, std::string{"jti-1"}, in_an_hour);
  REQUIRE(ok);
  auto past = test::ask<bool>(ts.sys, store, revoke_atom_v, std::string{"jti-old"},
                              now_us() - 1'000'000);
  REQUIRE(past);
  auto loaded = load_revocations(db.conninfo());
  REQUIRE(loaded);
  REQUIRE(loaded->size() == 1);
  CHECK(loaded->front().first == "jti-1");
  CHECK(std::llabs(loaded->front().second - in_an_hour) < 1'000);
}

TEST_CASE("the request stores answer unavailable when PostgreSQL is down",
          "[integration][idempotency][auth]") {
  test::base_conninfo(); // fails when AGORA_TEST_PG is unset, like every integration test
  test::test_system ts;
  auto idem = spawn_idempotency_store(ts.sys, unreachable);
  test::stop_on_exit guard1{idem};
  auto r = claimed(idem, idempotency_claim{"s", "k", "h"});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unavailable);
  auto recorded = completed(idem, idempotency_completion{"s", "k", 201, "{}", "h"});
  REQUIRE_FALSE(recorded);
  CHECK(recorded.error().code == errc::unavailable);
  auto revocations = spawn_revocation_store(ts.sys, unreachable);
  test::stop_on_exit guard2{revocations};
  auto stored = test::ask<bool>(ts.sys, revocations, revoke_atom_v, std::string{"jti"},
                                now_us() + 1'000'000);
  REQUIRE_FALSE(stored);
  CHECK(stored.error() == caf::make_error(errc::unavailable));
  auto loaded = load_revocations(unreachable);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code == errc::unavailable);
}

TEST_CASE("an idempotency store statement that outlasts its timeout answers unavailable",
          "[integration][idempotency]") {
  test::test_database db;
  test::test_system ts;
  auto store = spawn_idempotency_store(ts.sys, db.conninfo(), 300);
  test::stop_on_exit guard{store};
  CHECK(claim_key(store, "before", "h") == claim_kind::fresh);
  // Another session holds the table: the claim waits for the lock until the
  // statement timeout cancels it. Callers set no timeout of their own, so
  // this bound is what answers them.
  pg::connection locker{db.conninfo(), "idempotency-test-locker"};
  REQUIRE(locker.exec("BEGIN"));
  REQUIRE(locker.exec("LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE"));
  auto started = std::chrono::steady_clock::now();
  auto r = claimed(store, idempotency_claim{"anonymous POST /x", "k", "h"});
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unavailable);
  CHECK(took < std::chrono::seconds(5));
  REQUIRE(locker.exec("ROLLBACK"));
  // The store reconnects (with its timeout again) and the key was not taken.
  CHECK(claim_key(store, "k", "h") == claim_kind::fresh);
  CHECK(db.query("SELECT count(*) FROM idempotency_keys WHERE key IN ('before', 'k')") == "2");
}
