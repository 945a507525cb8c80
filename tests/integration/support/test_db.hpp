// Helpers of the integration tests: a fresh PostgreSQL database per test
// case (created from AGORA_TEST_PG, dropped afterwards), a real CAF actor
// system, and small polling helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "config/config.hpp"
#include "persistence/pg/connection.hpp"

namespace agora::test {

/// AGORA_TEST_PG; fails the current test (Catch2 FAIL) when it is unset.
std::string base_conninfo();

/// A database of its own for one test case.
class test_database {
public:
  /// Creates agora_test_<random>; applies the embedded migrations when
  /// `migrate` is set (REQUIREs that they succeed).
  explicit test_database(bool migrate = true);
  ~test_database();

  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;

  const std::string& name() const noexcept { return name_; }
  /// The conninfo of this database.
  const std::string& conninfo() const noexcept { return conninfo_; }

  /// A config whose pg.conninfo points at this database.
  agora::config make_config() const;

  /// A new blocking connection to this database (REQUIREs success).
  std::unique_ptr<persistence::pg::connection> connect() const;

  /// Runs `sql` on a fresh connection and REQUIREs success; the value of the
  /// first column of the first row ("" when there is none).
  std::string query(const std::string& sql) const;

private:
  std::string name_;
  std::string conninfo_;
};

/// An actor system with a real (threaded) scheduler.
struct test_system {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  test_system();
};

/// Polls `done` every 10 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

} // namespace agora::test
