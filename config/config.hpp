// The typed configuration of an Agora node. Every setting has a default that
// works for local development; sources override each other in this order:
// defaults < TOML file (--config) < AGORA_<SECTION>__<KEY> environment
// variables < command-line flags (--section.key=value).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace agora {

struct warehouse {
  std::string name;
  double lat = 0;
  double lon = 0;
};

struct config {
  struct node_section {
    std::string id = "node-1";
    /// "development" or "production" (production refuses default secrets).
    std::string mode = "development";
    /// CAF scheduler worker threads (0 = the cores the HTTP I/O threads leave,
    /// at least one: scheduler_threads).
    int64_t threads = 0;
    /// Polls an idle scheduler worker makes, sleeping 50 µs between them,
    /// before it waits on its condition variable (CAF's default is 500).
    int64_t idle_polls = 0;
  } node;

  struct http_section {
    std::string host = "127.0.0.1";
    int64_t port = 8080;
    /// Beast I/O threads (separate from CAF's scheduler).
    int64_t threads = 1;
    int64_t max_body_bytes = 1 << 20;
    int64_t max_header_bytes = 16 * 1024;
    /// Time allowed to read a whole request once its first byte arrived.
    int64_t read_timeout_ms = 30000;
    /// Keep-alive idle time between requests before the server closes.
    int64_t idle_timeout_ms = 60000;
    /// Time an actor may take to answer before the request gets 503.
    int64_t request_timeout_ms = 10000;
    /// On SIGTERM: how long in-flight requests may take to finish.
    int64_t shutdown_grace_ms = 10000;
    /// Most client connections open at once; beyond it new connections wait
    /// in the listen backlog while idle keep-alive ones are closed to make
    /// room. 0: the open-file limit less 256 descriptors kept for the node's
    /// own connections and files.
    int64_t max_connections = 0;
  } http;

  struct pg_section {
    /// libpq connection string (keyword/value or URI).
    std::string conninfo = "host=127.0.0.1 port=5433 dbname=agora user=postgres";
    /// Journal writer connections (group commit per connection).
    int64_t writers = 1;
    /// Connections for recovery reads and read-model queries.
    int64_t readers = 2;
    /// Most events in one journal transaction.
    int64_t max_batch = 2000;
    /// How long one journal batch, or one batch of the idempotency store, may
    /// run in PostgreSQL (statement_timeout of their connections) before it
    /// fails with `unavailable`.
    int64_t write_timeout_ms = 30000;
    /// How long one journal read (an entity's recovery) may run in
    /// PostgreSQL (statement_timeout of the reader connections) before it
    /// fails with `unavailable`.
    int64_t read_timeout_ms = 30000;
    /// Apply the SQL migrations at start-up.
    bool migrate = true;
  } pg;

  struct entity_section {
    /// Snapshot every N events.
    int64_t snapshot_every = 100;
    /// Passivate an entity after this much idle time.
    int64_t idle_timeout_s = 120;
    /// Most live entities per type on this node; the least recently used
    /// are passivated beyond it.
    int64_t max_live = 100000;
  } entity;

  struct catalogue_section {
    /// How often the read-model projection polls the journal.
    int64_t poll_interval_ms = 100;
    /// How long a list, search, suggest or categories answer is served again
    /// from the node's cache (0: never).
    int64_t read_cache_ms = 250;
    /// Seed the demo catalogue on an empty database.
    bool seed_demo = false;
  } catalogue;

  struct inventory_section {
    int64_t reservation_ttl_s = 900;
  } inventory;

  struct payments_section {
    /// Time the simulated gateway takes to answer an operation.
    int64_t gateway_latency_ms = 20;
    /// Extra probability (0..1) that an otherwise approved tok_ok operation
    /// fails, to exercise retries.
    double gateway_failure_rate = 0.0;
    /// Authorizations above this amount are declined.
    int64_t amount_limit_cents = 1000000;
    /// How late tok_slow answers; longer than a checkout step timeout.
    int64_t slow_delay_ms = 15000;
    /// Payments the simulated gateway keeps in memory; the least recently
    /// used beyond this are read back from its ledger table when needed.
    int64_t gateway_max_payments = 100000;
  } payments;

  struct checkout_section {
    /// How long one attempt of a checkout step may take.
    int64_t step_timeout_ms = 2000;
    /// Attempts of a step (and of a compensation) before giving up.
    int64_t max_attempts = 3;
    /// Retry backoff: exponential from base, capped, with full jitter.
    int64_t retry_base_ms = 50;
    int64_t retry_max_ms = 1000;
    /// How long a compensation attempt may take (it may have to learn the
    /// outcome of a gateway call that timed out).
    int64_t compensation_timeout_ms = 20000;
    /// How long POST .../checkout?wait=true waits for the end; also how long
    /// its admission holds the stock for its reservation at most.
    int64_t wait_ms = 10000;
    /// How often the resume mark moves up (persistence/pg/checkout_resume.hpp):
    /// a start-up reads the checkouts since about this long before the stop.
    int64_t resume_mark_interval_s = 60;
    /// Test hook: the node kills itself (SIGKILL) right after this step is
    /// recorded as done. Empty = never.
    std::string crash_after_step;
  } checkout;

  struct auth_section {
    std::string jwt_secret = "agora-dev-secret-change-me";
    std::string issuer = "agora";
    int64_t token_ttl_s = 3600;
    int64_t bcrypt_cost = 10;
    /// Threads that hash passwords (off the actor and I/O threads).
    int64_t hash_threads = 1;
    std::string admin_email = "admin@agora.local";
    std::string admin_password = "agora-admin-dev";
  } auth;

  struct shipping_section {
    std::string currency = "USD";
    int64_t base_cents = 499;
    int64_t cents_per_km = 2;
    /// Shipping for an address without coordinates.
    int64_t flat_cents = 999;
    std::vector<warehouse> warehouses = {{"Berlin", 52.52, 13.405},
                                         {"Newark", 40.7357, -74.1724}};
  } shipping;

  struct log_section {
    /// "pretty" or "json".
    std::string format = "pretty";
    /// trace, debug, info, warn, error, critical, off.
    std::string level = "info";
  } log;
};

/// The default development password; production mode refuses it.
inline constexpr const char* default_admin_password = "agora-admin-dev";
inline constexpr const char* default_jwt_secret = "agora-dev-secret-change-me";

/// What load_config found.
struct config_outcome {
  std::optional<agora::config> cfg;
  /// Set when --help was asked for.
  bool help = false;
  /// Set when loading failed: names the setting and what is wrong.
  std::string error;
};

/// Loads defaults, then the --config TOML file, then AGORA_* variables from
/// `envp` (a NULL-terminated environ-style array), then flags.
config_outcome load_config(int argc, const char* const* argv, const char* const* envp);

/// The --help text: every setting, its type, default and meaning.
std::string config_help(const char* program);

/// The CAF scheduler workers to start on a machine with `cores` cores:
/// node.threads when set, else the cores left after http.threads (at least
/// one). A busy I/O thread keeps its core, and on few cores a worker more
/// than there are cores for it only adds hand-offs between threads.
int64_t scheduler_threads(const config& cfg, int64_t cores);

/// One setting as the loader knows it: for start-up logging, tools and tests.
struct setting_info {
  /// "section.key", e.g. "http.port".
  std::string name;
  /// "string", "integer", "number", "boolean" or "warehouses".
  std::string type;
  /// The value in `cfg` (see config_settings), in the text form flags accept.
  std::string value;
  /// What the setting means and which values it accepts.
  std::string help;
  /// The environment variable, e.g. "AGORA_HTTP__PORT".
  std::string env;
  /// The flag, e.g. "--http.port".
  std::string flag;
  /// True for passwords and keys: never log `value`.
  bool secret = false;
};

/// Every setting with its value in `cfg`, in the order of --help.
std::vector<setting_info> config_settings(const agora::config& cfg = {});

} // namespace agora
