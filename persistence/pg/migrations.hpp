// Versioned SQL migrations (persistence/migrations/NNNN_name.sql), compiled
// into the library and applied at start-up: each once, in version order, in a
// transaction of its own, recorded in schema_migrations. A session advisory
// lock serializes nodes that start at the same time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/common/problem.hpp"

namespace agora::persistence::pg {

class connection;

/// One migration file.
struct migration {
  int64_t version = 0;
  std::string name;
  std::string sql;
};

/// Every migration compiled into the binary, in version order (generated
/// from persistence/migrations/*.sql at build time).
const std::vector<migration>& embedded_migrations();

/// What apply_migrations did.
struct migration_report {
  /// Versions applied by this call (empty when the schema was current).
  std::vector<int64_t> applied;
  /// The newest version in schema_migrations afterwards.
  int64_t current_version = 0;
};

/// Applies the pending `migrations` on `conn` (blocking). Fails with
/// errc::unavailable when the database cannot be reached and errc::internal
/// when a migration fails (its transaction is rolled back; later ones are
/// not attempted).
result<migration_report> apply_migrations(connection& conn,
                                          const std::vector<migration>& migrations);

/// Connects to `conninfo` and applies embedded_migrations().
result<migration_report> apply_migrations(const std::string& conninfo);

} // namespace agora::persistence::pg
