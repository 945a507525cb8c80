#include "tests/integration/support/test_db.hpp"

#include <cstdlib>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "persistence/pg/migrations.hpp"

namespace agora::test {

std::string base_conninfo() {
  const char* env = std::getenv("AGORA_TEST_PG");
  if (env == nullptr || *env == '\0')
    FAIL("AGORA_TEST_PG is not set: the integration tests need a PostgreSQL server, e.g. "
         "AGORA_TEST_PG=\"host=127.0.0.1 port=5499 user=postgres dbname=postgres\"");
  return env;
}

test_database::test_database(bool migrate) {
  auto base = base_conninfo();
  std::random_device rd;
  std::mt19937_64 gen{rd()};
  name_ = "agora_test_" + std::to_string(gen() % 1000000000000ULL);
  persistence::pg::connection admin{base, "agora-tests"};
  REQUIRE(admin.ensure_connected());
  auto created = admin.exec("CREATE DATABASE " + persistence::pg::quote_identifier(name_));
  INFO(created.error().message);
  REQUIRE(created);
  // In a keyword/value conninfo a later keyword overrides an earlier one.
  conninfo_ = base + " dbname=" + name_;
  if (migrate) {
    auto res = persistence::pg::apply_migrations(conninfo_);
    INFO((res ? std::string{} : res.error().message));
    REQUIRE(res);
  }
}

test_database::~test_database() {
  const char* env = std::getenv("AGORA_TEST_PG");
  if (env == nullptr || name_.empty())
    return;
  persistence::pg::connection admin{env, "agora-tests"};
  if (admin.ensure_connected())
    admin.exec("DROP DATABASE IF EXISTS " + persistence::pg::quote_identifier(name_)
               + " WITH (FORCE)");
}

agora::config test_database::make_config() const {
  agora::config cfg;
  cfg.pg.conninfo = conninfo_;
  cfg.pg.writers = 1;
  cfg.pg.readers = 2;
  cfg.catalogue.poll_interval_ms = 20;
  return cfg;
}

std::unique_ptr<persistence::pg::connection> test_database::connect() const {
  auto conn = std::make_unique<persistence::pg::connection>(conninfo_, "agora-tests");
  INFO(conn->last_error().message);
  REQUIRE(conn->ensure_connected());
  return conn;
}

std::string test_database::query(const std::string& sql) const {
  auto conn = connect();
  auto res = conn->exec(sql);
  INFO(sql << ": " << res.error().message);
  REQUIRE(res);
  if (res.rows() == 0 || PQnfields(res.get()) == 0)
    return {};
  return std::string{res.text(0, 0)};
}

namespace {

caf::actor_system_config& configure(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", 2);
  return cfg;
}

} // namespace

test_system::test_system() : sys(configure(cfg)) {
  // nop
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

} // namespace agora::test
