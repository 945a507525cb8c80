// The start-up resume scan against a real journal: it reads only the
// checkouts above its mark, resumes those begun and neither ended nor stuck,
// and moves the mark up to the first checkout that has not ended.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "persistence/pg/checkout_resume.hpp"
#include "tests/integration/support/test_db.hpp"

using namespace agora;
using agora::persistence::pg::scan_checkouts;

namespace {

/// Appends events of the given types to checkout `id` after its `from`
/// first ones; returns the offset of the first row written.
int64_t write(persistence::pg::connection& conn, const std::string& id,
              const std::vector<std::string>& types, int from = 0) {
  int64_t first = 0;
  for (const auto& type : types) {
    auto r = conn.exec_params("INSERT INTO journal (persistence_id, seq_nr, event_type, payload) "
                              "VALUES ($1, $2, $3, '{}') RETURNING global_offset",
                              {"checkout|" + id, std::to_string(++from), type});
    REQUIRE(r);
    if (first == 0)
      first = r.int64(0, 0);
  }
  return first;
}

} // namespace

TEST_CASE("the resume scan stops its mark below the first checkout that has not ended",
          "[integration][resume]") {
  test::test_database db;
  auto conn = db.connect();
  write(*conn, "a", {"checkout.started", "checkout.step_attempted", "checkout.completed"});
  auto b = write(*conn, "b", {"checkout.started", "checkout.compensated"});
  write(*conn, "c", {"checkout.started", "checkout.step_attempted"});
  write(*conn, "d", {"checkout.started", "checkout.closed"});
  auto e = write(*conn, "e", {"checkout.started"});
  // A refusal is one row of another type, ended at once: never read.
  write(*conn, "r", {"checkout.refused"});

  auto first = scan_checkouts(*conn);
  REQUIRE(first);
  CHECK(first->mark_before == 0);
  CHECK(first->scanned == 5);
  CHECK(first->unfinished == std::vector<std::string>{"c", "e"});
  CHECK(first->mark == b);
  CHECK(db.query("SELECT last_offset FROM projection_offsets WHERE name = 'checkout-resume'") ==
        std::to_string(b));

  // The next scan starts at the mark: c, d and e.
  auto second = scan_checkouts(*conn);
  REQUIRE(second);
  CHECK(second->mark_before == b);
  CHECK(second->scanned == 3);
  CHECK(second->unfinished == std::vector<std::string>{"c", "e"});
  CHECK(second->mark == b);

  // Once c and e end, the mark passes them all.
  write(*conn, "c", {"checkout.completed"}, 2);
  write(*conn, "e", {"checkout.compensated"}, 1);
  auto third = scan_checkouts(*conn);
  REQUIRE(third);
  CHECK(third->unfinished.empty());
  CHECK(third->mark == e);
  auto fourth = scan_checkouts(*conn);
  REQUIRE(fourth);
  CHECK(fourth->scanned == 0);
  CHECK(fourth->mark == e);

  // What lies below the mark is not read again: the scan is bounded by it.
  auto f = write(*conn, "f", {"checkout.started"});
  REQUIRE(conn->exec("UPDATE projection_offsets SET last_offset = " + std::to_string(f) +
                     " WHERE name = 'checkout-resume'"));
  auto fifth = scan_checkouts(*conn);
  REQUIRE(fifth);
  CHECK(fifth->scanned == 0);
  CHECK(fifth->unfinished.empty());
  CHECK(fifth->mark == f);
}

TEST_CASE("a stuck checkout holds the resume mark without being resumed, until an operator "
          "resumes it",
          "[integration][resume]") {
  test::test_database db;
  auto conn = db.connect();
  auto s = write(*conn, "s", {"checkout.started", "checkout.step_attempted", "checkout.stuck"});
  write(*conn, "t", {"checkout.started", "checkout.completed"});
  auto scan = scan_checkouts(*conn);
  REQUIRE(scan);
  CHECK(scan->unfinished.empty());
  CHECK(scan->mark < s);
  write(*conn, "s", {"checkout.resumed"}, 3);
  auto again = scan_checkouts(*conn);
  REQUIRE(again);
  CHECK(again->unfinished == std::vector<std::string>{"s"});
  CHECK(again->mark < s);
}

TEST_CASE("the resume scan fails as unavailable when the database cannot be reached",
          "[integration][resume]") {
  persistence::pg::connection conn{"host=127.0.0.1 port=1 connect_timeout=1", "agora-test"};
  auto scan = scan_checkouts(conn);
  REQUIRE_FALSE(scan);
  CHECK(scan.error().code == errc::unavailable);
}

TEST_CASE("a resume scan whose mark cannot be stored fails and leaves the mark as it was",
          "[integration][resume]") {
  test::test_database db;
  auto conn = db.connect();
  write(*conn, "a", {"checkout.started", "checkout.completed"});
  REQUIRE(conn->exec("CREATE FUNCTION refuse_marks() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN RAISE EXCEPTION 'marks refused'; END $$"));
  REQUIRE(conn->exec("CREATE TRIGGER refuse_marks BEFORE INSERT OR UPDATE ON projection_offsets "
                     "FOR EACH ROW EXECUTE FUNCTION refuse_marks()"));
  auto scan = scan_checkouts(*conn);
  REQUIRE_FALSE(scan);
  CHECK(scan.error().code == errc::unavailable);
  CHECK(scan.error().message.find("marks refused") != std::string::npos);
  CHECK(db.query("SELECT count(*) FROM projection_offsets WHERE name = 'checkout-resume'") == "0");
}
