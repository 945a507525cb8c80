// The journal brokers against PostgreSQL: group commit, optimistic
// concurrency with per-append isolation, recovery reads with snapshots, and
// fast failure while the database is unreachable or too slow.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "actors/common/metrics.hpp"
#include "persistence/journal.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/journal_writer.hpp"
#include "persistence/pg/pg_array.hpp"
#include "tests/integration/support/actors.hpp"
#include "tests/integration/support/test_db.hpp"

using namespace agora;
using namespace agora::persistence;

namespace {

event_row make_row(std::string pid, int64_t seq, std::string payload = R"({"n":1})") {
  event_row r;
  r.persistence_id = std::move(pid);
  r.seq_nr = seq;
  r.event_type = "test.happened";
  r.payload = std::move(payload);
  r.correlation_id = "corr-1";
  return r;
}

append_request one_append(std::string pid, int64_t first_seq, int64_t count) {
  append_request req;
  for (int64_t i = 0; i < count; ++i)
    req.rows.push_back(make_row(pid, first_seq + i, R"({"i":)" + std::to_string(i) + "}"));
  return req;
}

metrics::histogram& batch_hist() {
  return metrics::get_histogram("agora_journal_batch_events", "Events per journal commit",
                                {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000});
}

metrics::counter& conflicts_counter() {
  return metrics::get_counter("agora_journal_conflicts_total",
                              "Appends rejected by optimistic concurrency");
}

/// agora_snapshots_stored_total, agora_snapshots_dropped_total, agora_snapshot_bytes_total.
uint64_t snapshot_count(std::string_view name) {
  return metrics::get_counter(name, "").value();
}

bool is_error(const caf::expected<append_ack>& res, errc code) {
  return !res && res.error() == caf::make_error(code);
}

/// A database, an actor system and a journal on them, stopped at the end.
struct journal_fixture {
  test::test_database db;
  test::test_system ts;
  journal_actor journal = spawn_journal(ts.sys, db.make_config());
  test::stop_on_exit<journal_actor> guard{journal};
};

/// The outcome of an append sent with a callback (append_notify).
struct notified {
  std::mutex mtx;
  std::optional<caf::expected<append_ack>> outcome;

  append_notify callback() {
    return append_notify{[this](caf::expected<append_ack> r) {
      std::lock_guard lock{mtx};
      outcome = std::move(r);
    }};
  }

  /// Waits at most `limit` for the callback.
  bool answered(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    return test::eventually(
      [this] {
        std::lock_guard lock{mtx};
        return outcome.has_value();
      },
      limit);
  }
};

/// A connection in a transaction that holds `table` locked: statements on it wait.
std::unique_ptr<pg::connection> lock_table(const test::test_database& db,
                                           const std::string& table) {
  auto locker = db.connect();
  REQUIRE(locker->exec("BEGIN"));
  REQUIRE(locker->exec("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE"));
  return locker;
}

/// Holds the journal's snapshot writer in the upsert of a snapshot of `pid`,
/// which waits for a lock on the snapshots table: the snapshots sent next wait
/// together. The writer goes on once the returned connection rolls back.
std::unique_ptr<pg::connection> hold_snapshot_writer(const test::test_database& db,
                                                     const journal_actor& journal,
                                                     const std::string& pid) {
  auto locker = lock_table(db, "snapshots");
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{pid, 1, R"({"v":1})"});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return locker;
}

} // namespace

TEST_CASE_METHOD(journal_fixture, "appends of many entities sent at once are group-committed",
                 "[integration][journal]") {
  auto& hist = batch_hist();
  auto count_before = hist.count();
  auto sum_before = hist.sum();

  std::vector<append_request> reqs;
  for (int i = 0; i < 100; ++i)
    reqs.push_back(one_append("cart|c" + std::to_string(i), 1, 2));
  auto replies = test::request_all<append_ack>(ts.sys, journal, append_atom_v, reqs);
  for (size_t i = 0; i < replies.size(); ++i) {
    INFO("append " << i);
    REQUIRE(replies[i]);
    CHECK(replies[i]->last_seq_nr == 2);
    CHECK(replies[i]->last_global_offset > 0);
  }
  CHECK(db.query("SELECT count(*) FROM journal") == "200");
  // Fewer commits than appends, and all 200 events counted.
  auto commits = hist.count() - count_before;
  CHECK(commits >= 1);
  CHECK(commits < 100);
  CHECK(hist.sum() - sum_before == Approx(200));
  // The ack carries the offset of the append's last row.
  auto offset = db.query("SELECT global_offset FROM journal WHERE persistence_id = 'cart|c7' "
                         "AND seq_nr = 2");
  CHECK(std::to_string(replies[7]->last_global_offset) == offset);
}

TEST_CASE("with several committers and small batches, every append gets its own answer",
          "[integration][journal]") {
  test::test_database db;
  test::test_system ts;
  auto cfg = db.make_config();
  cfg.pg.writers = 3;
  cfg.pg.max_batch = 5;
  auto journal = spawn_journal(ts.sys, cfg);
  test::stop_on_exit guard{journal};

  // Appends of 1 to 3 events: batches end at different places, and the
  // committers finish in any order.
  std::vector<append_request> reqs;
  for (int i = 0; i < 300; ++i)
    reqs.push_back(one_append("cart|w" + std::to_string(i), 1, 1 + i % 3));
  auto replies = test::request_all<append_ack>(ts.sys, journal, append_atom_v, reqs);
  auto conn = db.connect();
  auto offsets = conn->exec("SELECT persistence_id, max(seq_nr), max(global_offset) "
                            "FROM journal GROUP BY persistence_id");
  REQUIRE(offsets);
  REQUIRE(offsets.rows() == 300);
  std::map<std::string, std::pair<int64_t, int64_t>> stored;
  for (int r = 0; r < offsets.rows(); ++r)
    stored[std::string{offsets.text(r, 0)}] = {offsets.int64(r, 1), offsets.int64(r, 2)};
  for (size_t i = 0; i < replies.size(); ++i) {
    INFO("append " << i);
    REQUIRE(replies[i]);
    auto& [seq, offset] = stored["cart|w" + std::to_string(i)];
    CHECK(replies[i]->last_seq_nr == seq);
    CHECK(replies[i]->last_global_offset == offset);
  }
}

TEST_CASE("a conflicting append is rejected while the rest of its batch commits",
          "[integration][journal]") {
  test::test_database db;
  // Another writer already wrote seq 1 of this entity.
  db.query("INSERT INTO journal (persistence_id, seq_nr, event_type, payload) "
           "VALUES ('inventory|X-1', 1, 'inventory.adjusted', '{\"by\":\"other\"}')");
  test::test_system ts;
  auto journal = spawn_journal(ts.sys, db.make_config());
  test::stop_on_exit guard{journal};

  // Hold the journal's ordering lock so the first batch waits in PostgreSQL
  // while the next appends gather into one batch behind it.
  auto blocker = db.connect();
  REQUIRE(blocker->exec("BEGIN"));
  REQUIRE(blocker->exec("SELECT pg_advisory_xact_lock(4242000001)"));
  caf::scoped_actor self{ts.sys};
  auto first = self->request(journal, std::chrono::seconds(20), append_atom_v,
                             one_append("cart|first", 1, 1));
  auto monitor = db.connect();
  REQUIRE(test::eventually([&] {
    auto res = monitor->exec("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                             "AND NOT granted");
    return res && res.int64(0, 0) == 1;
  }));

  auto& hist = batch_hist();
  auto count_before = hist.count();
  auto sum_before = hist.sum();
  auto conflicts_before = conflicts_counter().value();
  std::vector<append_request> reqs;
  for (int i = 0; i < 4; ++i)
    reqs.push_back(one_append("cart|b" + std::to_string(i), 1, 2));
  reqs.push_back(one_append("inventory|X-1", 1, 1)); // conflicts with the stored row
  for (int i = 4; i < 8; ++i)
    reqs.push_back(one_append("cart|b" + std::to_string(i), 1, 2));
  reqs.push_back(one_append("cart|b0", 1, 1)); // conflicts inside the batch
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    blocker->exec("COMMIT");
  });
  auto replies = test::request_all<append_ack>(ts.sys, journal, append_atom_v, reqs);
  release.join();
  first.receive([](append_ack& ack) { CHECK(ack.last_seq_nr == 1); },
                [](caf::error& err) { FAIL(caf::to_string(err)); });

  for (size_t i = 0; i < replies.size(); ++i) {
    INFO("append " << i);
    if (i == 4 || i == 9) {
      CHECK(is_error(replies[i], errc::concurrency_conflict));
    } else {
      REQUIRE(replies[i]);
      CHECK(replies[i]->last_seq_nr == 2);
    }
  }
  CHECK(conflicts_counter().value() - conflicts_before == 2);
  // The nine appends went through in one commit after the blocked one.
  CHECK(hist.count() - count_before == 2);
  CHECK(hist.sum() - sum_before == Approx(1 + 16));
  CHECK(db.query("SELECT count(*) FROM journal") == "18");
  CHECK(db.query("SELECT payload->>'by' FROM journal WHERE persistence_id = 'inventory|X-1'")
        == "other");
  CHECK(db.query("SELECT payload::text FROM journal WHERE persistence_id = 'cart|b0' "
                 "AND seq_nr = 1")
        == R"({"i": 0})");
}

TEST_CASE_METHOD(journal_fixture, "an append with an invalid payload fails alone",
                 "[integration][journal]") {
  append_request bad;
  bad.rows.push_back(make_row("cart|bad", 1, "{not json"));
  std::vector<append_request> reqs{one_append("cart|ok1", 1, 1), bad,
                                   one_append("cart|ok2", 1, 1)};
  auto replies = test::request_all<append_ack>(ts.sys, journal, append_atom_v, reqs);
  CHECK(replies[0]);
  CHECK(is_error(replies[1], errc::internal));
  CHECK(replies[2]);
  CHECK(db.query("SELECT count(*) FROM journal") == "2");
  // Malformed requests never reach PostgreSQL.
  append_request gap = one_append("cart|gap", 1, 1);
  gap.rows.push_back(make_row("cart|gap", 3));
  auto res = test::ask<append_ack>(ts.sys, journal, append_atom_v, gap);
  CHECK(is_error(res, errc::invalid_request));
}

TEST_CASE("among many small batches, each append is answered for what became of it",
          "[integration][journal]") {
  test::test_database db;
  // Every 10th entity has its seq 1 written already: its append conflicts.
  db.query("INSERT INTO journal (persistence_id, seq_nr, event_type, payload) "
           "SELECT 'cart|p' || i, 1, 'cart.created', '{}' FROM generate_series(0, 299, 10) i");
  test::test_system ts;
  auto cfg = db.make_config();
  cfg.pg.max_batch = 2;
  auto journal = spawn_journal(ts.sys, cfg);
  test::stop_on_exit guard{journal};
  auto conflicts_before = conflicts_counter().value();

  std::vector<append_request> reqs;
  for (int i = 0; i < 300; ++i) {
    if (i % 7 == 3) { // a payload PostgreSQL refuses
      append_request bad;
      bad.rows.push_back(make_row("cart|p" + std::to_string(i), 1, "{not json"));
      reqs.push_back(std::move(bad));
    } else {
      reqs.push_back(one_append("cart|p" + std::to_string(i), 1, 1));
    }
  }
  auto replies = test::request_all<append_ack>(ts.sys, journal, append_atom_v, reqs);
  int64_t expected_rows = 30;
  uint64_t expected_conflicts = 0;
  for (int i = 0; i < 300; ++i) {
    INFO("append " << i);
    auto pid = "cart|p" + std::to_string(i);
    if (i % 7 == 3) { // refused before its key is checked
      CHECK(is_error(replies[i], errc::internal));
    } else if (i % 10 == 0) {
      CHECK(is_error(replies[i], errc::concurrency_conflict));
      ++expected_conflicts;
    } else {
      REQUIRE(replies[i]);
      CHECK(replies[i]->last_seq_nr == 1);
      CHECK(std::to_string(replies[i]->last_global_offset) ==
            db.query("SELECT global_offset FROM journal WHERE persistence_id = '" + pid + "'"));
      ++expected_rows;
    }
  }
  CHECK(db.query("SELECT count(*) FROM journal") == std::to_string(expected_rows));
  CHECK(conflicts_counter().value() - conflicts_before == expected_conflicts);
}

TEST_CASE("appends answered through a callback get what a request would", "[integration][journal]") {
  test::test_database db;
  db.query("INSERT INTO journal (persistence_id, seq_nr, event_type, payload) "
           "VALUES ('cart|n0', 1, 'cart.created', '{}')");
  test::test_system ts;
  auto cfg = db.make_config();
  cfg.pg.max_batch = 3;
  auto journal = spawn_journal(ts.sys, cfg);
  test::stop_on_exit guard{journal};

  std::mutex mtx;
  std::map<int, caf::expected<append_ack>> outcomes;
  auto notify = [&](int i) {
    return append_notify{[&, i](caf::expected<append_ack> r) {
      std::lock_guard lock{mtx};
      outcomes.emplace(i, std::move(r));
    }};
  };
  append_request gap = one_append("cart|n2", 1, 1);
  gap.rows.push_back(make_row("cart|n2", 3));
  append_request bad;
  bad.rows.push_back(make_row("cart|n3", 1, "{not json"));
  caf::anon_send(journal, append_atom_v, one_append("cart|n0", 1, 1), notify(0)); // conflicts
  caf::anon_send(journal, append_atom_v, one_append("cart|n1", 1, 2), notify(1));
  caf::anon_send(journal, append_atom_v, gap, notify(2));
  caf::anon_send(journal, append_atom_v, bad, notify(3));
  // A request among them keeps its own answer.
  auto asked = test::request_all<append_ack>(ts.sys, journal, append_atom_v,
                                             std::vector{one_append("cart|n4", 1, 1)});
  for (int i = 5; i < 20; ++i)
    caf::anon_send(journal, append_atom_v, one_append("cart|n" + std::to_string(i), 1, 1),
                   notify(i));
  REQUIRE(test::eventually([&] {
    std::lock_guard lock{mtx};
    return outcomes.size() == 19;
  }));
  REQUIRE(asked[0]);
  CHECK(asked[0]->last_seq_nr == 1);
  CHECK(is_error(outcomes.at(0), errc::concurrency_conflict));
  REQUIRE(outcomes.at(1));
  CHECK(outcomes.at(1)->last_seq_nr == 2);
  CHECK(is_error(outcomes.at(2), errc::invalid_request));
  CHECK(is_error(outcomes.at(3), errc::internal));
  for (int i = 5; i < 20; ++i) {
    INFO("append " << i);
    REQUIRE(outcomes.at(i));
    CHECK(std::to_string(outcomes.at(i)->last_global_offset) ==
          db.query("SELECT global_offset FROM journal WHERE persistence_id = 'cart|n" +
                   std::to_string(i) + "'"));
  }
  // The stored row, cart|n1's two, cart|n4's and the fifteen after it.
  CHECK(db.query("SELECT count(*) FROM journal") == "19");
}

TEST_CASE_METHOD(journal_fixture,
                 "a journal that stops fails the callback appends it has not answered",
                 "[integration][journal]") {
  auto locker = lock_table(db, "journal"); // the append waits for the lock
  notified append;
  caf::anon_send(journal, append_atom_v, one_append("cart|s1", 1, 1), append.callback());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  caf::anon_send_exit(journal, caf::exit_reason::user_shutdown);
  REQUIRE(append.answered());
  CHECK(is_error(*append.outcome, errc::unavailable));
  locker->exec("ROLLBACK");
}

TEST_CASE_METHOD(journal_fixture, "load returns the newest snapshot and the events after it",
                 "[integration][journal]") {
  auto acked = test::ask<append_ack>(ts.sys, journal, append_atom_v, one_append("cart|r", 1, 5));
  REQUIRE(acked);
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|r", 3, R"({"items":3})"});
  REQUIRE(test::eventually([&] { return db.query("SELECT count(*) FROM snapshots") == "1"; }));

  auto rec = test::ask<recovered>(ts.sys, journal, load_atom_v, std::string{"cart|r"});
  REQUIRE(rec);
  REQUIRE(rec->snapshot);
  CHECK(rec->snapshot->seq_nr == 3);
  CHECK(rec->snapshot->persistence_id == "cart|r");
  CHECK(rec->snapshot->state == R"({"items": 3})");
  REQUIRE(rec->events.size() == 2);
  CHECK(rec->events[0].seq_nr == 4);
  CHECK(rec->events[1].seq_nr == 5);
  CHECK(rec->events[0].payload == R"({"i": 3})");
  CHECK(rec->events[0].event_type == "test.happened");
  CHECK(rec->events[0].correlation_id == "corr-1");
  CHECK(rec->events[0].global_offset < rec->events[1].global_offset);
  CHECK(rec->events[0].created_at_us > 0);

  auto none = test::ask<recovered>(ts.sys, journal, load_atom_v, std::string{"cart|nobody"});
  REQUIRE(none);
  CHECK_FALSE(none->snapshot);
  CHECK(none->events.empty());
}

TEST_CASE_METHOD(journal_fixture, "many loads at once are answered together and correctly",
                 "[integration][journal]") {
  std::vector<append_request> reqs;
  for (int i = 0; i < 50; ++i)
    reqs.push_back(one_append("order|o" + std::to_string(i), 1, 1 + i % 4));
  for (auto& r : test::request_all<append_ack>(ts.sys, journal, append_atom_v, reqs))
    REQUIRE(r);
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i)
    ids.push_back("order|o" + std::to_string(i));
  ids.push_back("order|o3"); // the same id twice
  auto loads = test::request_all<recovered>(ts.sys, journal, load_atom_v, ids);
  for (size_t i = 0; i < loads.size(); ++i) {
    INFO(ids[i]);
    REQUIRE(loads[i]);
    auto n = i < 50 ? 1 + i % 4 : 4;
    REQUIRE(loads[i]->events.size() == n);
    for (size_t k = 0; k < n; ++k) {
      CHECK(loads[i]->events[k].persistence_id == ids[i]);
      CHECK(loads[i]->events[k].seq_nr == static_cast<int64_t>(k + 1));
    }
  }
}

TEST_CASE_METHOD(journal_fixture, "a snapshot older than the stored one does not replace it",
                 "[integration][journal]") {
  REQUIRE(test::ask<append_ack>(ts.sys, journal, append_atom_v, one_append("cart|s", 1, 6)));
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|s", 5, R"({"v":5})"});
  REQUIRE(test::eventually([&] { return db.query("SELECT count(*) FROM snapshots") == "1"; }));
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|s", 2, R"({"v":2})"});
  // Snapshots are written in the order they come: once a later one is in,
  // the older one of cart|s has been tried.
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|t", 1, R"({"v":1})"});
  REQUIRE(test::eventually([&] { return db.query("SELECT count(*) FROM snapshots") == "2"; }));
  CHECK(db.query("SELECT seq_nr FROM snapshots WHERE persistence_id = 'cart|s'") == "5");
  CHECK(db.query("SELECT state->>'v' FROM snapshots WHERE persistence_id = 'cart|s'") == "5");
  // A newer one does.
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|s", 6, R"({"v":6})"});
  REQUIRE(test::eventually([&] {
    return db.query("SELECT seq_nr FROM snapshots WHERE persistence_id = 'cart|s'") == "6";
  }));
  auto rec = test::ask<recovered>(ts.sys, journal, load_atom_v, std::string{"cart|s"});
  REQUIRE(rec);
  CHECK(rec->snapshot->seq_nr == 6);
  CHECK(rec->events.empty());
}

TEST_CASE_METHOD(journal_fixture, "a snapshot that waits for its table holds up no append",
                 "[integration][journal]") {
  auto locker = hold_snapshot_writer(db, journal, "cart|w");
  notified append;
  caf::anon_send(journal, append_atom_v, one_append("cart|w", 2, 1), append.callback());
  bool answered = append.answered(std::chrono::seconds(5));
  locker->exec("ROLLBACK");
  REQUIRE(answered);
  REQUIRE(*append.outcome);
  CHECK((*append.outcome)->last_seq_nr == 2);
  // The snapshot is stored once the lock is gone.
  REQUIRE(test::eventually([&] {
    return db.query("SELECT seq_nr FROM snapshots WHERE persistence_id = 'cart|w'") == "1";
  }));
}

TEST_CASE_METHOD(journal_fixture,
                 "a snapshot that is not JSON is dropped, and the others of its write are stored",
                 "[integration][journal]") {
  auto stored = snapshot_count("agora_snapshots_stored_total");
  auto dropped = snapshot_count("agora_snapshots_dropped_total");
  auto locker = hold_snapshot_writer(db, journal, "cart|a"); // the next two go in one write
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|b", 1, "not json"});
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|c", 1, R"({"v":1})"});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  locker->exec("ROLLBACK");
  REQUIRE(test::eventually([&] {
    return db.query("SELECT string_agg(persistence_id, ',' ORDER BY persistence_id) "
                    "FROM snapshots") == "cart|a,cart|c";
  }));
  CHECK(snapshot_count("agora_snapshots_stored_total") == stored + 2);
  CHECK(snapshot_count("agora_snapshots_dropped_total") == dropped + 1);
}

TEST_CASE_METHOD(journal_fixture,
                 "snapshots that wait together are written in parts of at most 8 MB, all of them",
                 "[integration][journal]") {
  auto bytes = snapshot_count("agora_snapshot_bytes_total");
  auto locker = hold_snapshot_writer(db, journal, "inventory|first");
  // Five of 3 MB: three writes (6, 6 and 3 MB).
  const std::string big = R"({"ids":")" + std::string(3 << 20, 'x') + R"("})";
  for (int i = 0; i < 5; ++i)
    caf::anon_send(journal, snapshot_atom_v,
                   snapshot_row{"inventory|big" + std::to_string(i), 1, big});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  locker->exec("ROLLBACK");
  REQUIRE(test::eventually([&] {
    return db.query("SELECT count(*) FROM snapshots WHERE octet_length(state->>'ids') = " +
                    std::to_string(3 << 20)) == "5";
  }));
  CHECK(db.query("SELECT count(*) FROM snapshots") == "6");
  CHECK(snapshot_count("agora_snapshot_bytes_total") == bytes + 5 * big.size() + 7);
}

TEST_CASE("an unreachable database fails appends and loads fast with unavailable",
          "[integration][journal]") {
  test::base_conninfo(); // fails when AGORA_TEST_PG is unset, like every integration test
  test::test_system ts;
  agora::config cfg;
  cfg.pg.conninfo = "host=127.0.0.1 port=1 dbname=agora user=postgres connect_timeout=2";
  auto journal = spawn_journal(ts.sys, cfg);
  test::stop_on_exit guard{journal};
  auto started = std::chrono::steady_clock::now();
  std::vector<append_request> reqs{one_append("cart|u1", 1, 1), one_append("cart|u2", 1, 1)};
  auto replies = test::request_all<append_ack>(ts.sys, journal, append_atom_v, reqs);
  for (auto& r : replies)
    CHECK(is_error(r, errc::unavailable));
  auto again = test::ask<append_ack>(ts.sys, journal, append_atom_v, one_append("cart|u3", 1, 1));
  CHECK(is_error(again, errc::unavailable));
  auto rec = test::ask<recovered>(ts.sys, journal, load_atom_v, std::string{"cart|u1"});
  REQUIRE_FALSE(rec);
  CHECK(rec.error() == caf::make_error(errc::unavailable));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  // Snapshots are dropped: the first after a try, the next within the backoff.
  auto dropped = snapshot_count("agora_snapshots_dropped_total");
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|u1", 1, R"({"v":1})"});
  REQUIRE(test::eventually(
    [&] { return snapshot_count("agora_snapshots_dropped_total") == dropped + 1; }));
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|u2", 1, R"({"v":1})"});
  REQUIRE(test::eventually(
    [&] { return snapshot_count("agora_snapshots_dropped_total") == dropped + 2; }));
}

TEST_CASE_METHOD(journal_fixture, "the snapshot writer reconnects after its connection is killed",
                 "[integration][journal]") {
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|r1", 1, R"({"v":1})"});
  REQUIRE(test::eventually([&] { return db.query("SELECT count(*) FROM snapshots") == "1"; }));
  db.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
           "WHERE application_name = 'agora-snapshot-writer' AND datname = current_database()");
  auto dropped = snapshot_count("agora_snapshots_dropped_total");
  caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|r2", 1, R"({"v":1})"});
  REQUIRE(test::eventually(
    [&] { return snapshot_count("agora_snapshots_dropped_total") == dropped + 1; }));
  // After the backoff (100 ms) the next snapshot is stored again.
  REQUIRE(test::eventually([&] {
    caf::anon_send(journal, snapshot_atom_v, snapshot_row{"cart|r3", 1, R"({"v":1})"});
    return db.query("SELECT count(*) FROM snapshots WHERE persistence_id = 'cart|r3'") == "1";
  }));
}

TEST_CASE_METHOD(journal_fixture, "the journal recovers once the database is back",
                 "[integration][journal]") {
  REQUIRE(test::ask<append_ack>(ts.sys, journal, append_atom_v, one_append("cart|k", 1, 1)));
  // Kill the writer's connection from the server side.
  db.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
           "WHERE application_name = 'agora-journal-writer' AND datname = current_database()");
  auto failed = test::ask<append_ack>(ts.sys, journal, append_atom_v, one_append("cart|k", 2, 1));
  CHECK(is_error(failed, errc::unavailable));
  // After the backoff the committer reconnects.
  bool ok = test::eventually(
    [&] {
      auto res = test::ask<append_ack>(ts.sys, journal, append_atom_v,
                                       one_append("cart|k", 2, 1));
      return static_cast<bool>(res);
    },
    std::chrono::seconds(10));
  CHECK(ok);
  CHECK(db.query("SELECT max(seq_nr) FROM journal WHERE persistence_id = 'cart|k'") == "2");
}

TEST_CASE("a batch that outlasts pg.write_timeout_ms fails with unavailable, once",
          "[integration][journal]") {
  test::test_database db;
  test::test_system ts;
  auto cfg = db.make_config();
  cfg.pg.write_timeout_ms = 500;
  auto journal = spawn_journal(ts.sys, cfg);
  test::stop_on_exit guard{journal};
  REQUIRE(test::ask<append_ack>(ts.sys, journal, append_atom_v, one_append("cart|t", 1, 1)));
  // Another session holds the journal: the batch's INSERT waits for the lock
  // until the statement timeout cancels it.
  auto locker = lock_table(db, "journal");
  auto started = std::chrono::steady_clock::now();
  std::vector<append_request> reqs{one_append("cart|t", 2, 1), one_append("cart|t2", 1, 2)};
  auto replies = test::request_all<append_ack>(ts.sys, journal, append_atom_v, reqs);
  auto took = std::chrono::steady_clock::now() - started;
  for (auto& r : replies)
    CHECK(is_error(r, errc::unavailable));
  // Cancelled as a whole, not retried append by append: that would wait for
  // the lock a second time (at least 1,000 ms).
  CHECK(took < std::chrono::milliseconds(900));
  REQUIRE(locker->exec("ROLLBACK"));
  // Nothing of the cancelled batch was written; the writer reconnects and
  // the same appends then succeed.
  CHECK(db.query("SELECT count(*) FROM journal WHERE persistence_id IN ('cart|t', 'cart|t2')") ==
        "1");
  bool ok = test::eventually(
    [&] {
      return static_cast<bool>(
        test::ask<append_ack>(ts.sys, journal, append_atom_v, one_append("cart|t", 2, 1)));
    },
    std::chrono::seconds(10));
  CHECK(ok);
}

TEST_CASE("a recovery read that outlasts pg.read_timeout_ms fails with unavailable",
          "[integration][journal]") {
  test::test_database db;
  test::test_system ts;
  auto cfg = db.make_config();
  cfg.pg.read_timeout_ms = 300;
  auto journal = spawn_journal(ts.sys, cfg);
  test::stop_on_exit guard{journal};
  REQUIRE(test::ask<append_ack>(ts.sys, journal, append_atom_v, one_append("cart|l", 1, 1)));
  // Another session holds the journal: the read waits for the lock until its
  // statement timeout cancels it (the entity asking sets no timeout).
  auto locker = lock_table(db, "journal");
  auto started = std::chrono::steady_clock::now();
  auto rec = test::ask<recovered>(ts.sys, journal, load_atom_v, std::string{"cart|l"});
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(rec);
  CHECK(rec.error() == caf::make_error(errc::unavailable));
  CHECK(took < std::chrono::seconds(5));
  REQUIRE(locker->exec("ROLLBACK"));
  // The reader reconnects; the same read then succeeds.
  bool ok = test::eventually(
    [&] {
      auto again = test::ask<recovered>(ts.sys, journal, load_atom_v, std::string{"cart|l"});
      return again && again->events.size() == 1;
    },
    std::chrono::seconds(10));
  CHECK(ok);
}

TEST_CASE("every PostgreSQL connection carries TCP keepalives and a user timeout",
          "[integration][journal]") {
  test::test_database db;
  auto tcp_option = [](int fd, int level, int name) {
    int value = -1;
    socklen_t size = sizeof value;
    REQUIRE(getsockopt(fd, level, name, &value, &size) == 0);
    return value;
  };
  // The defaults, read back from the socket (the tests connect over TCP): a
  // server that stops answering is noticed within about 30 s.
  pg::connection conn{db.conninfo(), "keepalive-test"};
  REQUIRE(conn.ensure_connected());
  int fd = conn.socket_fd();
  REQUIRE(fd >= 0);
  CHECK(tcp_option(fd, SOL_SOCKET, SO_KEEPALIVE) == 1);
  CHECK(tcp_option(fd, IPPROTO_TCP, TCP_KEEPIDLE) == 10);
  CHECK(tcp_option(fd, IPPROTO_TCP, TCP_KEEPINTVL) == 5);
  CHECK(tcp_option(fd, IPPROTO_TCP, TCP_KEEPCNT) == 3);
  CHECK(tcp_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT) == 30000);
  // The conninfo may say otherwise.
  pg::connection tuned{db.conninfo() + " keepalives_idle=20 tcp_user_timeout=5000",
                       "keepalive-test"};
  REQUIRE(tuned.ensure_connected());
  CHECK(tcp_option(tuned.socket_fd(), IPPROTO_TCP, TCP_KEEPIDLE) == 20);
  CHECK(tcp_option(tuned.socket_fd(), IPPROTO_TCP, TCP_USER_TIMEOUT) == 5000);
  conn.reset();
  CHECK(conn.socket_fd() == -1);
}
