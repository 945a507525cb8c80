// Migrations: applied once, in order, idempotent on the next start, safe
// when several nodes start at the same time.
#include <catch2/catch.hpp>

#include <thread>

#include "persistence/journal.hpp"
#include "persistence/pg/migrations.hpp"
#include "tests/integration/support/test_db.hpp"

using namespace agora;
using namespace agora::persistence;

TEST_CASE("migrations apply once and a second start applies nothing",
          "[integration][migrations]") {
  test::test_database db{false};
  const auto& all = pg::embedded_migrations();
  REQUIRE(all.size() >= 3);
  for (size_t i = 1; i < all.size(); ++i)
    CHECK(all[i - 1].version < all[i].version);

  auto first = pg::apply_migrations(db.conninfo());
  REQUIRE(first);
  CHECK(first->applied.size() == all.size());
  CHECK(first->current_version == all.back().version);
  CHECK(db.query("SELECT count(*) FROM schema_migrations") == std::to_string(all.size()));
  for (auto table : {"journal", "snapshots", "shard_leases", "projection_offsets",
                     "idempotency_keys", "catalogue_products"})
    CHECK(db.query(std::string{"SELECT to_regclass('"} + table + "') IS NOT NULL") == "t");

  auto second = pg::apply_migrations(db.conninfo());
  REQUIRE(second);
  CHECK(second->applied.empty());
  CHECK(second->current_version == all.back().version);
  CHECK(db.query("SELECT count(*) FROM schema_migrations") == std::to_string(all.size()));
}

TEST_CASE("nodes starting at once apply each migration exactly once",
          "[integration][migrations]") {
  test::test_database db{false};
  std::vector<std::thread> nodes;
  std::vector<size_t> applied(4, 0);
  std::vector<int> ok(4, 0);
  for (size_t i = 0; i < 4; ++i)
    nodes.emplace_back([&, i] {
      auto res = pg::apply_migrations(db.conninfo());
      ok[i] = res ? 1 : 0;
      applied[i] = res ? res->applied.size() : 0;
    });
  for (auto& t : nodes)
    t.join();
  size_t total = 0;
  for (size_t i = 0; i < 4; ++i) {
    CHECK(ok[i] == 1);
    total += applied[i];
  }
  CHECK(total == pg::embedded_migrations().size());
}

TEST_CASE("a failing migration is rolled back and stops the run", "[integration][migrations]") {
  test::test_database db{false};
  std::vector<pg::migration> ms{
    {1, "good", "CREATE TABLE t1 (x int)"},
    {2, "bad", "CREATE TABLE t2 (x int); SELECT no_such_function()"},
    {3, "later", "CREATE TABLE t3 (x int)"},
  };
  auto conn = db.connect();
  auto res = pg::apply_migrations(*conn, ms);
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::internal);
  CHECK(db.query("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations")
        == "1");
  CHECK(db.query("SELECT to_regclass('t2') IS NULL") == "t");
  CHECK(db.query("SELECT to_regclass('t3') IS NULL") == "t");
}

TEST_CASE("migrating an unreachable database reports unavailable", "[integration][migrations]") {
  test::base_conninfo(); // fails when AGORA_TEST_PG is unset, like every integration test
  auto res = pg::apply_migrations("host=127.0.0.1 port=1 dbname=none connect_timeout=2");
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::unavailable);
}

TEST_CASE("reads by event type and by correlation id use the journal's partial indexes",
          "[integration][migrations]") {
  test::test_database db;
  auto conn = db.connect();
  // A saga's reservation and a cart edit sent with the same request id: only
  // the first is found by correlation id (the cart's line edits are not in
  // the index, and the condition leaves them out like the index does).
  REQUIRE(conn->exec(
    "INSERT INTO journal (persistence_id, seq_nr, event_type, payload, correlation_id) VALUES "
    "('inventory|A', 1, 'inventory.reserved', '{}', 'c-1'), "
    "('cart|x', 1, 'cart.item_added', '{}', 'c-1'), "
    "('checkout|c-1', 1, 'checkout.step_attempted', '{}', 'c-1')"));
  REQUIRE(conn->exec("SET enable_seqscan = off"));
  std::string correlated = std::string("SELECT persistence_id FROM journal WHERE ") +
                           persistence::journal_correlated_sql;
  REQUIRE(conn->exec("PREPARE correlated(text) AS " + correlated));
  auto found = conn->exec("EXECUTE correlated('c-1')");
  REQUIRE(found);
  REQUIRE(found.rows() == 1);
  CHECK(found.text(0, 0) == "inventory|A");

  auto plan = [&](const std::string& sql) {
    auto res = conn->exec("EXPLAIN " + sql);
    REQUIRE(res);
    std::string text;
    for (int r = 0; r < res.rows(); ++r)
      text.append(res.text(r, 0)).append("\n");
    return text;
  };
  CHECK_THAT(plan("EXECUTE correlated('c-1')"), Catch::Contains("journal_correlation"));
  // Types inside and outside the index's exclusion list.
  CHECK_THAT(plan("SELECT global_offset FROM journal WHERE event_type = 'checkout.started' "
                  "ORDER BY global_offset DESC"),
             Catch::Contains("journal_event_type_offset"));
  CHECK_THAT(plan("SELECT global_offset FROM journal WHERE event_type = 'cart.item_added'"),
             !Catch::Contains("journal_event_type_offset"));
}
