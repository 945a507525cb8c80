#include "persistence/pg/migrations.hpp"

#include <algorithm>
#include <set>

#include "actors/common/log.hpp"
#include "persistence/pg/connection.hpp"

namespace agora::persistence::pg {

namespace {

/// Key of the session advisory lock held while migrating.
constexpr const char* lock_sql = "SELECT pg_advisory_lock(4242000002)";
constexpr const char* unlock_sql = "SELECT pg_advisory_unlock(4242000002)";

problem to_problem(const db_error& err, const std::string& what) {
  auto code = err.kind == failure_kind::unavailable ? errc::unavailable : errc::internal;
  return make_problem(code, what + ": " + err.message);
}

/// Releases the advisory lock however the migration run ends.
struct lock_guard {
  connection& conn;
  ~lock_guard() {
    if (conn.connected())
      conn.exec(unlock_sql);
  }
};

} // namespace

result<migration_report> apply_migrations(connection& conn,
                                          const std::vector<migration>& migrations) {
  if (!conn.ensure_connected())
    return to_problem(conn.last_error(), "connecting for migrations");
  if (auto res = conn.exec(lock_sql); !res)
    return to_problem(res.error(), "taking the migration lock");
  lock_guard guard{conn};
  auto created = conn.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                           " version bigint PRIMARY KEY,"
                           " name text NOT NULL,"
                           " applied_at timestamptz NOT NULL DEFAULT now())");
  if (!created)
    return to_problem(created.error(), "creating schema_migrations");
  auto done = conn.exec("SELECT version FROM schema_migrations");
  if (!done)
    return to_problem(done.error(), "reading schema_migrations");
  std::set<int64_t> applied;
  for (int i = 0; i < done.rows(); ++i)
    applied.insert(done.int64(i, 0));
  auto ordered = migrations;
  std::sort(ordered.begin(), ordered.end(),
            [](const migration& a, const migration& b) { return a.version < b.version; });
  migration_report report;
  for (const auto& m : ordered) {
    if (applied.count(m.version) > 0)
      continue;
    auto what = "migration " + std::to_string(m.version) + "_" + m.name;
    if (auto res = conn.exec("BEGIN"); !res)
      return to_problem(res.error(), what);
    auto res = conn.exec(m.sql);
    if (res) {
      res = conn.exec_params("INSERT INTO schema_migrations(version, name) VALUES ($1, $2)",
                             {std::to_string(m.version), m.name});
    }
    if (res)
      res = conn.exec("COMMIT");
    if (!res) {
      auto err = res.error();
      conn.exec("ROLLBACK");
      persistence_log().error("{} failed: {}", what, err.message);
      return to_problem(err, what);
    }
    persistence_log().info("applied {}", what);
    report.applied.push_back(m.version);
    applied.insert(m.version);
  }
  report.current_version = applied.empty() ? 0 : *applied.rbegin();
  return report;
}

result<migration_report> apply_migrations(const std::string& conninfo) {
  connection conn{conninfo, "agora-migrate"};
  return apply_migrations(conn, embedded_migrations());
}

} // namespace agora::persistence::pg
