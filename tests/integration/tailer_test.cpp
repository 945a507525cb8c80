// The ordering scheme of the journal: offsets become visible in commit
// order, so a tailer reading `global_offset > last` never skips a row.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "persistence/pg/tailer.hpp"
#include "tests/integration/support/test_db.hpp"

using namespace agora;
using namespace agora::persistence;

namespace {

constexpr const char* insert_one
  = "INSERT INTO journal (persistence_id, seq_nr, event_type, payload) "
    "VALUES ($1, 1, 'test.happened', '{}') RETURNING global_offset";

/// Two writers: A inserts first and commits late, B inserts after A and
/// commits at once. Meanwhile a tailer polls. Returns the offsets the tailer
/// saw, in the order it saw them, and every offset in the table.
std::pair<std::vector<int64_t>, std::vector<int64_t>> race(test::test_database& db) {
  auto a = db.connect();
  auto b = db.connect();
  auto tail_conn = db.connect();
  journal_tailer tailer;
  std::vector<int64_t> seen;
  int64_t last = 0;
  auto poll = [&] {
    auto batch = tailer.read(*tail_conn, last, 100);
    REQUIRE(batch);
    for (const auto& r : batch->rows)
      seen.push_back(r.global_offset);
    last = batch->scanned_to;
  };

  REQUIRE(a->exec("BEGIN"));
  REQUIRE(a->exec_params(insert_one, {"test|a"}));
  std::atomic<bool> b_done{false};
  std::thread writer_b([&] {
    b->exec("BEGIN");
    b->exec_params(insert_one, {"test|b"});
    b->exec("COMMIT");
    b_done = true;
  });
  // B either waits for A's lock (ordering scheme) or commits before A.
  for (int i = 0; i < 30; ++i) {
    poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(a->exec("COMMIT"));
  writer_b.join();
  CHECK(b_done);
  poll();
  auto all = db.connect()->exec("SELECT global_offset FROM journal ORDER BY global_offset");
  REQUIRE(all);
  std::vector<int64_t> stored;
  for (int i = 0; i < all.rows(); ++i)
    stored.push_back(all.int64(i, 0));
  return {seen, stored};
}

} // namespace

TEST_CASE("a tailer never sees a later offset before an earlier one becomes visible",
          "[integration][tailer]") {
  test::test_database db;
  auto [seen, stored] = race(db);
  REQUIRE(stored.size() == 2);
  // Every committed row was seen exactly once, in offset order.
  CHECK(seen == stored);
}

TEST_CASE("without the ordering trigger the same race makes a naive tailer skip a row",
          "[integration][tailer]") {
  // The control experiment: it shows that the test above can fail, i.e. that
  // the trigger is what keeps the tailer exact.
  test::test_database db;
  db.query("ALTER TABLE journal DISABLE TRIGGER journal_offsets_in_commit_order");
  auto [seen, stored] = race(db);
  REQUIRE(stored.size() == 2);
  CHECK(seen.size() == 1);
  CHECK(seen != stored);
}

TEST_CASE("the tailer reads in batches and filters by event type prefix",
          "[integration][tailer]") {
  test::test_database db;
  auto conn = db.connect();
  for (int i = 1; i <= 10; ++i) {
    auto type = i % 2 == 0 ? "product.created" : "cart.item_added";
    REQUIRE(conn->exec_params("INSERT INTO journal (persistence_id, seq_nr, event_type, payload)"
                              " VALUES ($1, 1, $2, $3)",
                              {"x|" + std::to_string(i), type,
                               R"({"i":)" + std::to_string(i) + "}"}));
  }
  // Shares the letters of the prefix but not its dot.
  REQUIRE(conn->exec("INSERT INTO journal (persistence_id, seq_nr, event_type, payload) "
                     "VALUES ('y|1', 1, 'productXcreated', '{}')"));
  auto head = journal_head(*conn);
  REQUIRE(head);
  journal_tailer all;
  auto first = all.read(*conn, 0, 4);
  REQUIRE(first);
  REQUIRE(first->rows.size() == 4);
  // A full batch may stop short of the head.
  CHECK(first->scanned_to == first->rows.back().global_offset);
  auto rest = all.read(*conn, first->scanned_to, 100);
  REQUIRE(rest);
  CHECK(rest->rows.size() == 7);
  CHECK(rest->rows.front().global_offset > first->rows.back().global_offset);
  CHECK(rest->rows.back().global_offset == *head);
  CHECK(rest->scanned_to == *head);

  journal_tailer products{{"product."}};
  auto only = products.read(*conn, 0, 100);
  REQUIRE(only);
  REQUIRE(only->rows.size() == 5);
  for (const auto& r : only->rows)
    CHECK(r.event_type == "product.created");
  CHECK(only->rows.front().payload == R"({"i": 2})");
  // The rows after the last product event were scanned too: the next read
  // starts after them.
  CHECK(only->rows.back().global_offset < *head);
  CHECK(only->scanned_to == *head);
  auto none = products.read(*conn, only->scanned_to, 100);
  REQUIRE(none);
  CHECK(none->rows.empty());
  CHECK(none->scanned_to == *head);
  // A full filtered batch ends at its last row.
  auto two = products.read(*conn, 0, 2);
  REQUIRE(two);
  REQUIRE(two->rows.size() == 2);
  CHECK(two->scanned_to == two->rows.back().global_offset);
  CHECK(escape_like("a_b%c\\") == "a\\_b\\%c\\\\");
}

TEST_CASE("a filtered tailer passes rows of other types once, not on every read",
          "[integration][tailer]") {
  test::test_database db;
  auto conn = db.connect();
  auto insert = [&](const std::string& id, const char* type) {
    REQUIRE(conn->exec_params("INSERT INTO journal (persistence_id, seq_nr, event_type, payload)"
                              " VALUES ($1, 1, $2, '{}')",
                              {id, type}));
  };
  journal_tailer products{{"product."}};
  // An empty journal: nothing scanned.
  auto empty = products.read(*conn, 0, 10);
  REQUIRE(empty);
  CHECK(empty->rows.empty());
  CHECK(empty->scanned_to == 0);
  insert("product|p", "product.created");
  for (int i = 0; i < 50; ++i)
    insert("cart|" + std::to_string(i), "cart.item_added");
  auto first = products.read(*conn, 0, 10);
  REQUIRE(first);
  REQUIRE(first->rows.size() == 1);
  // Only rows after scanned_to are looked at next: a later product event is
  // found, and the 50 cart rows before it are not read again.
  insert("product|q", "product.created");
  auto second = products.read(*conn, first->scanned_to, 10);
  REQUIRE(second);
  REQUIRE(second->rows.size() == 1);
  CHECK(second->rows[0].persistence_id == "product|q");
  CHECK(second->scanned_to == second->rows[0].global_offset);
  CHECK(second->scanned_to - first->scanned_to == 1);
}
