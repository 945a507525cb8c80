// Loads the typed configuration: defaults, then a TOML file (--config), then
// AGORA_<SECTION>__<KEY> environment variables, then --section.key flags.
//
// Every setting is described exactly once, in the table returned by
// settings(): name, type, accessor into agora::config, help text and
// validation. The TOML reader, the environment reader, the flag reader,
// config_help() and config_settings() all walk that table, so adding a
// setting means one field in config.hpp plus one row here, and --help can
// never forget it.
#include "config/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

#include <toml++/toml.h>

namespace agora {

namespace {

// -- setting descriptors ------------------------------------------------------

using string_ref = std::string& (*) (config&);
using integer_ref = int64_t& (*) (config&);
using boolean_ref = bool& (*) (config&);
using number_ref = double& (*) (config&);
using warehouses_ref = std::vector<warehouse>& (*) (config&);

/// Accessor for `cfg.<Section>.<Field>`; its address is the setting's ref.
template <auto Section, auto Field>
auto& field(config& cfg) {
  return (cfg.*Section).*Field;
}

/// Extra rule for a string setting: returns what was expected when `value`
/// breaks it, or an empty view when it is fine.
using string_check = std::string_view (*)(std::string_view value);

/// One setting: where it lives, what it accepts, what it means.
struct setting {
  using any_ref =
    std::variant<string_ref, integer_ref, number_ref, boolean_ref, warehouses_ref>;

  setting(std::string_view section, std::string_view key, any_ref ref, std::string_view help)
    : section(section), key(key), ref(ref), help(help) {}

  std::string_view section;
  std::string_view key;
  any_ref ref;
  std::string_view help;
  /// Inclusive range of an integer setting.
  int64_t min = 0;
  int64_t max = 0;
  /// Inclusive range of a number (floating-point) setting.
  double min_number = 0;
  double max_number = 0;
  /// Allowed values of an enum-like string setting (empty: any string that
  /// passes `check`).
  std::vector<std::string_view> choices;
  string_check check = nullptr;
  /// Passwords and keys: config_settings() flags them so nobody logs them.
  bool secret = false;

  std::string name() const {
    std::string result{section};
    result += '.';
    result += key;
    return result;
  }
};

std::string_view non_empty(std::string_view value) {
  return value.empty() ? "a non-empty string" : std::string_view{};
}

std::string_view node_id_chars(std::string_view value) {
  auto ok = !value.empty() && value.size() <= 64
            && std::all_of(value.begin(), value.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                        || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
               });
  return ok ? std::string_view{} : "1 to 64 characters from A-Z a-z 0-9 . _ -";
}

std::string_view email_like(std::string_view value) {
  auto at = value.find('@');
  auto ok = at != std::string_view::npos && at > 0 && at + 1 < value.size()
            && value.find_first_of(" \t\r\n") == std::string_view::npos;
  return ok ? std::string_view{} : "an e-mail address (name@domain)";
}

std::string_view currency_code(std::string_view value) {
  auto ok = value.size() == 3 && std::all_of(value.begin(), value.end(), [](char c) {
              return c >= 'A' && c <= 'Z';
            });
  return ok ? std::string_view{} : "a three-letter upper-case ISO 4217 code such as USD";
}

setting text(std::string_view section, std::string_view key, string_ref ref,
             std::string_view help, string_check check = non_empty, bool secret = false) {
  setting result{section, key, ref, help};
  result.check = check;
  result.secret = secret;
  return result;
}

setting choice(std::string_view section, std::string_view key, string_ref ref,
               std::vector<std::string_view> choices, std::string_view help) {
  setting result{section, key, ref, help};
  result.choices = std::move(choices);
  return result;
}

setting integer(std::string_view section, std::string_view key, integer_ref ref,
                int64_t min, int64_t max, std::string_view help) {
  setting result{section, key, ref, help};
  result.min = min;
  result.max = max;
  return result;
}

setting number(std::string_view section, std::string_view key, number_ref ref,
               double min, double max, std::string_view help) {
  setting result{section, key, ref, help};
  result.min_number = min;
  result.max_number = max;
  return result;
}

setting boolean(std::string_view section, std::string_view key, boolean_ref ref,
                std::string_view help) {
  return setting{section, key, ref, help};
}

constexpr int64_t one_day_ms = 24LL * 3600 * 1000;
constexpr int64_t thirty_days_s = 30LL * 24 * 3600;

/// The table. Order = order of --help and of config/agora.toml.
const std::vector<setting>& settings() {
  using c = config;
  static const std::vector<setting> table = {
    // -- node --
    text("node", "id", &field<&c::node, &c::node_section::id>,
         "This node's name in the cluster, in logs and in metrics.", node_id_chars),
    choice("node", "mode", &field<&c::node, &c::node_section::mode>,
           {"development", "production"},
           "production refuses to start with the default admin password or JWT secret."),
    integer("node", "threads", &field<&c::node, &c::node_section::threads>, 0, 1024,
            "CAF scheduler worker threads; 0 = the CPU cores http.threads leave, at least 1."),
    integer("node", "idle_polls", &field<&c::node, &c::node_section::idle_polls>, 0, 100000,
            "Polls an idle scheduler worker makes, 50 us apart, before it waits for work "
            "(CAF's default: 500)."),
    // -- http --
    text("http", "host", &field<&c::http, &c::http_section::host>,
         "Address the HTTP/WebSocket listener binds to (0.0.0.0 for all interfaces)."),
    integer("http", "port", &field<&c::http, &c::http_section::port>, 1, 65535,
            "TCP port of the HTTP/WebSocket listener."),
    integer("http", "threads", &field<&c::http, &c::http_section::threads>, 1, 256,
            "Beast I/O threads, separate from CAF's scheduler threads."),
    integer("http", "max_body_bytes", &field<&c::http, &c::http_section::max_body_bytes>, 1,
            1LL << 30, "Largest accepted request body; larger requests get 413."),
    integer("http", "max_header_bytes", &field<&c::http, &c::http_section::max_header_bytes>,
            1024, 1 << 20, "Largest accepted request header block; larger requests get 431."),
    integer("http", "read_timeout_ms", &field<&c::http, &c::http_section::read_timeout_ms>, 1,
            one_day_ms, "Time allowed to read a whole request once its first byte arrived."),
    integer("http", "idle_timeout_ms", &field<&c::http, &c::http_section::idle_timeout_ms>, 1,
            one_day_ms, "Keep-alive idle time between requests before the server closes."),
    integer("http", "request_timeout_ms",
            &field<&c::http, &c::http_section::request_timeout_ms>, 1, one_day_ms,
            "Time the actors may take to answer a request before it gets 503."),
    integer("http", "shutdown_grace_ms",
            &field<&c::http, &c::http_section::shutdown_grace_ms>, 0, one_day_ms,
            "On SIGTERM/SIGINT: how long in-flight requests may take to finish."),
    integer("http", "max_connections", &field<&c::http, &c::http_section::max_connections>, 0,
            100'000'000,
            "Most client connections open at once; more wait in the listen backlog while idle "
            "keep-alive ones are closed to make room. 0: the open-file limit less 256 "
            "descriptors kept for the node's own connections and files."),
    // -- pg --
    text("pg", "conninfo", &field<&c::pg, &c::pg_section::conninfo>,
         "libpq connection string (key=value pairs or a postgresql:// URI).", non_empty,
         true),
    integer("pg", "writers", &field<&c::pg, &c::pg_section::writers>, 1, 64,
            "Journal writer connections (each group-commits its own batches)."),
    integer("pg", "readers", &field<&c::pg, &c::pg_section::readers>, 1, 64,
            "Connections for recovery reads and read-model queries."),
    integer("pg", "max_batch", &field<&c::pg, &c::pg_section::max_batch>, 1, 1000000,
            "Most events written in one journal transaction."),
    integer("pg", "write_timeout_ms", &field<&c::pg, &c::pg_section::write_timeout_ms>, 1,
            one_day_ms,
            "How long one journal or idempotency-store batch may run in PostgreSQL before it "
            "fails as unavailable."),
    integer("pg", "read_timeout_ms", &field<&c::pg, &c::pg_section::read_timeout_ms>, 1,
            one_day_ms,
            "How long one journal read (an entity's recovery) may run in PostgreSQL before it "
            "fails as unavailable."),
    boolean("pg", "migrate", &field<&c::pg, &c::pg_section::migrate>,
            "Apply the SQL migrations at start-up."),
    // -- entity --
    integer("entity", "snapshot_every", &field<&c::entity, &c::entity_section::snapshot_every>,
            1, 1000000,
            "Write a snapshot of an entity after at least N events (and, for a state larger "
            "than its events, once they hold as many bytes as its last snapshot)."),
    integer("entity", "idle_timeout_s", &field<&c::entity, &c::entity_section::idle_timeout_s>,
            1, thirty_days_s, "Passivate an entity after this many idle seconds."),
    integer("entity", "max_live", &field<&c::entity, &c::entity_section::max_live>, 1,
            100000000,
            "Most live entities per type on this node; the least recently used are "
            "passivated beyond it."),
    // -- catalogue --
    integer("catalogue", "poll_interval_ms",
            &field<&c::catalogue, &c::catalogue_section::poll_interval_ms>, 1, 60000,
            "How often the catalogue read model polls the journal for new events."),
    integer("catalogue", "read_cache_ms",
            &field<&c::catalogue, &c::catalogue_section::read_cache_ms>, 0, 500,
            "Serve a product list, search, suggest or categories answer again from the "
            "node's cache for this long (0: never). With the poll interval, the read model "
            "must stay within the contract's one second."),
    boolean("catalogue", "seed_demo", &field<&c::catalogue, &c::catalogue_section::seed_demo>,
            "Seed the demo catalogue (about 250 products) once, on an empty database."),
    // -- inventory --
    integer("inventory", "reservation_ttl_s",
            &field<&c::inventory, &c::inventory_section::reservation_ttl_s>, 1, thirty_days_s,
            "Seconds until an uncommitted stock reservation expires."),
    // -- payments --
    integer("payments", "gateway_latency_ms",
            &field<&c::payments, &c::payments_section::gateway_latency_ms>, 0, 60000,
            "Time the simulated payment gateway takes to answer an operation."),
    number("payments", "gateway_failure_rate",
           &field<&c::payments, &c::payments_section::gateway_failure_rate>, 0.0, 1.0,
           "Extra probability that a simulated gateway operation with token tok_ok fails "
           "(outcome failed), to exercise retries; 0 never, 1 always."),
    integer("payments", "amount_limit_cents",
            &field<&c::payments, &c::payments_section::amount_limit_cents>, 1,
            std::numeric_limits<int64_t>::max(),
            "The simulated gateway declines authorizations above this amount."),
    integer("payments", "slow_delay_ms",
            &field<&c::payments, &c::payments_section::slow_delay_ms>, 0, one_day_ms,
            "How late the simulated gateway answers for token tok_slow; meant to be longer "
            "than a checkout step timeout."),
    integer("payments", "gateway_max_payments",
            &field<&c::payments, &c::payments_section::gateway_max_payments>, 1,
            std::numeric_limits<int64_t>::max(),
            "Payments the simulated gateway keeps in memory; the least recently used beyond "
            "this are read back from its ledger table when a request or a ledger query "
            "needs them."),
    // -- checkout --
    integer("checkout", "step_timeout_ms",
            &field<&c::checkout, &c::checkout_section::step_timeout_ms>, 1, 600000,
            "How long one attempt of a checkout step may take before it counts as failed."),
    integer("checkout", "max_attempts", &field<&c::checkout, &c::checkout_section::max_attempts>,
            1, 100, "Attempts of a checkout step (and of a compensation) before giving up."),
    integer("checkout", "retry_base_ms",
            &field<&c::checkout, &c::checkout_section::retry_base_ms>, 0, 600000,
            "First retry backoff of a checkout step; doubles per attempt, with full jitter."),
    integer("checkout", "retry_max_ms", &field<&c::checkout, &c::checkout_section::retry_max_ms>,
            0, 600000, "Largest retry backoff of a checkout step."),
    integer("checkout", "compensation_timeout_ms",
            &field<&c::checkout, &c::checkout_section::compensation_timeout_ms>, 1, 600000,
            "How long one compensation attempt may take (it may wait for the outcome of a "
            "payment call that timed out)."),
    integer("checkout", "wait_ms", &field<&c::checkout, &c::checkout_section::wait_ms>, 0,
            600000,
            "How long POST /carts/{id}/checkout?wait=true waits for the end; also how long "
            "its admission holds the stock for its reservation at most."),
    integer("checkout", "resume_mark_interval_s",
            &field<&c::checkout, &c::checkout_section::resume_mark_interval_s>, 1, 86400,
            "How often the node moves up the mark below which every checkout has ended; a "
            "start-up reads only the checkouts above it to find those to resume."),
    choice("checkout", "crash_after_step",
           &field<&c::checkout, &c::checkout_section::crash_after_step>,
           {"", "price_cart", "reserve_inventory", "authorize_payment", "place_order",
            "capture_payment", "commit_inventory", "close_cart"},
           "Test hook: the node kills itself (SIGKILL) right after this checkout step is "
           "recorded as done. Empty: never."),
    // -- auth --
    text("auth", "jwt_secret", &field<&c::auth, &c::auth_section::jwt_secret>,
         "HS256 key that signs access tokens; every node of a cluster needs the same one.",
         non_empty, true),
    text("auth", "issuer", &field<&c::auth, &c::auth_section::issuer>,
         "The iss claim of issued tokens; tokens from other issuers are rejected."),
    integer("auth", "token_ttl_s", &field<&c::auth, &c::auth_section::token_ttl_s>, 1,
            thirty_days_s, "Lifetime of an access token in seconds."),
    integer("auth", "bcrypt_cost", &field<&c::auth, &c::auth_section::bcrypt_cost>, 10, 31,
            "bcrypt work factor for password hashes (each +1 doubles the time); the API "
            "promises at least 10."),
    integer("auth", "hash_threads", &field<&c::auth, &c::auth_section::hash_threads>, 1, 64,
            "Threads that hash and verify passwords, off the actor and I/O threads."),
    text("auth", "admin_email", &field<&c::auth, &c::auth_section::admin_email>,
         "E-mail of the admin account created at first start.", email_like),
    text("auth", "admin_password", &field<&c::auth, &c::auth_section::admin_password>,
         "Password of the admin account created at first start.", non_empty, true),
    // -- shipping --
    text("shipping", "currency", &field<&c::shipping, &c::shipping_section::currency>,
         "Currency of shipping costs.", currency_code),
    integer("shipping", "base_cents", &field<&c::shipping, &c::shipping_section::base_cents>, 0,
            1000000000, "Fixed part of every distance-based shipping cost, in cents."),
    integer("shipping", "cents_per_km",
            &field<&c::shipping, &c::shipping_section::cents_per_km>, 0, 1000000,
            "Cents per great-circle kilometre from the nearest warehouse."),
    integer("shipping", "flat_cents", &field<&c::shipping, &c::shipping_section::flat_cents>, 0,
            1000000000, "Shipping cost of an address without coordinates, in cents."),
    setting{"shipping", "warehouses", &field<&c::shipping, &c::shipping_section::warehouses>,
            "Where orders ship from. In TOML an array of tables {name, lat, lon}; in "
            "variables and flags \"name:lat:lon;name:lat:lon\". At least one; lat in "
            "[-90, 90], lon in [-180, 180], names unique."},
    // -- log --
    choice("log", "format", &field<&c::log, &c::log_section::format>, {"pretty", "json"},
           "pretty for a terminal, json for one JSON object per line."),
    choice("log", "level", &field<&c::log, &c::log_section::level>,
           {"trace", "debug", "info", "warn", "error", "critical", "off"},
           "Lowest level that is logged."),
  };
  return table;
}

const setting* find_setting(std::string_view section, std::string_view key) {
  for (const auto& s : settings())
    if (s.section == section && s.key == key)
      return &s;
  return nullptr;
}

bool known_section(std::string_view section) {
  return std::any_of(settings().begin(), settings().end(),
                     [&](const setting& s) { return s.section == section; });
}

// -- naming rules -------------------------------------------------------------

std::string upper(std::string_view text) {
  std::string result{text};
  for (auto& c : result)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return result;
}

std::string lower(std::string_view text) {
  std::string result{text};
  for (auto& c : result)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return result;
}

std::string env_name(const setting& s) {
  return "AGORA_" + upper(s.section) + "__" + upper(s.key);
}

std::string flag_name(const setting& s) {
  return "--" + s.name();
}

/// Edit distance, for "did you mean" hints on misspelt settings.
size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    auto diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      auto above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// "; did you mean http.port?" when some setting is close to `name`.
std::string suggestion(std::string_view name, bool as_flag) {
  const setting* best = nullptr;
  size_t best_distance = 3; // suggest only close matches
  for (const auto& s : settings()) {
    auto d = distance(name, s.name());
    if (d < best_distance) {
      best = &s;
      best_distance = d;
    }
  }
  if (best == nullptr)
    return {};
  return "; did you mean " + (as_flag ? flag_name(*best) : best->name()) + "?";
}

// -- values as text -----------------------------------------------------------

std::string quoted(std::string_view text) {
  std::string result = "\"";
  result += text;
  result += '"';
  return result;
}

std::string format_double(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc{})
    return "nan";
  return std::string(buf, end);
}

std::string format_warehouses(const std::vector<warehouse>& list) {
  std::string result;
  for (const auto& w : list) {
    if (!result.empty())
      result += ';';
    result += w.name + ':' + format_double(w.lat) + ':' + format_double(w.lon);
  }
  return result;
}

std::string value_text(const setting& s, config& cfg) {
  if (auto r = std::get_if<string_ref>(&s.ref))
    return (*r)(cfg);
  if (auto r = std::get_if<integer_ref>(&s.ref))
    return std::to_string((*r)(cfg));
  if (auto r = std::get_if<number_ref>(&s.ref))
    return format_double((*r)(cfg));
  if (auto r = std::get_if<boolean_ref>(&s.ref))
    return (*r)(cfg) ? "true" : "false";
  return format_warehouses((*std::get<warehouses_ref>(s.ref))(cfg));
}

std::string type_name(const setting& s) {
  if (std::holds_alternative<string_ref>(s.ref))
    return "string";
  if (std::holds_alternative<integer_ref>(s.ref))
    return "integer";
  if (std::holds_alternative<number_ref>(s.ref))
    return "number";
  if (std::holds_alternative<boolean_ref>(s.ref))
    return "boolean";
  return "warehouses";
}

/// What a valid value looks like, as used in errors and in --help.
std::string expectation(const setting& s) {
  if (std::holds_alternative<integer_ref>(s.ref)) {
    if (s.max == std::numeric_limits<int64_t>::max())
      return "an integer >= " + std::to_string(s.min);
    return "an integer in " + std::to_string(s.min) + ".." + std::to_string(s.max);
  }
  if (std::holds_alternative<number_ref>(s.ref))
    return "a number in " + format_double(s.min_number) + ".." + format_double(s.max_number);
  if (std::holds_alternative<boolean_ref>(s.ref))
    return "a boolean (true, false, 1 or 0)";
  if (std::holds_alternative<warehouses_ref>(s.ref))
    return "a list of warehouses \"name:lat:lon;name:lat:lon\"";
  if (!s.choices.empty()) {
    std::string result = "one of ";
    for (size_t i = 0; i < s.choices.size(); ++i) {
      if (i > 0)
        result += '|';
      result += s.choices[i];
    }
    return result;
  }
  if (s.check != nullptr && s.check != non_empty)
    return std::string{s.check("")}; // every check rejects "", so this is its text
  return "a non-empty string";
}

/// "<setting>: expected <what>, got <got> (from <origin>)".
std::string bad_value(const setting& s, std::string_view what, std::string_view got,
                      std::string_view origin) {
  std::string result = s.name() + ": expected ";
  result += what;
  result += ", got ";
  result += got;
  result += " (from ";
  result += origin;
  result += ')';
  return result;
}

// -- validation and assignment ------------------------------------------------

/// Checks and stores a string; returns an error or "".
std::string assign_string(const setting& s, std::string value, config& cfg,
                          std::string_view origin) {
  if (!s.choices.empty()) {
    if (std::find(s.choices.begin(), s.choices.end(), value) == s.choices.end())
      return bad_value(s, expectation(s), quoted(value), origin);
  } else if (s.check != nullptr) {
    if (auto what = s.check(value); !what.empty())
      return bad_value(s, what, quoted(value), origin);
  }
  (*std::get<string_ref>(s.ref))(cfg) = std::move(value);
  return {};
}

std::string assign_integer(const setting& s, int64_t value, std::string_view got, config& cfg,
                           std::string_view origin) {
  if (value < s.min || value > s.max)
    return bad_value(s, expectation(s), got, origin);
  (*std::get<integer_ref>(s.ref))(cfg) = value;
  return {};
}

std::string assign_number(const setting& s, double value, std::string_view got, config& cfg,
                          std::string_view origin) {
  if (!std::isfinite(value) || value < s.min_number || value > s.max_number)
    return bad_value(s, expectation(s), got, origin);
  (*std::get<number_ref>(s.ref))(cfg) = value;
  return {};
}

/// Checks a whole warehouse list and stores it; returns an error or "".
std::string assign_warehouses(const setting& s, std::vector<warehouse> list, config& cfg,
                              std::string_view origin) {
  auto fail = [&](const std::string& what) {
    return s.name() + ": " + what + " (from " + std::string{origin} + ')';
  };
  if (list.empty())
    return fail("expected at least one warehouse, got none");
  std::set<std::string> names;
  for (const auto& w : list) {
    if (w.name.empty() || w.name.find_first_of(":;") != std::string::npos)
      return fail("warehouse name " + quoted(w.name)
                  + " must be non-empty and contain neither ':' nor ';'");
    if (!names.insert(w.name).second)
      return fail("warehouse name " + quoted(w.name) + " appears twice");
    if (!std::isfinite(w.lat) || w.lat < -90 || w.lat > 90)
      return fail("warehouse " + quoted(w.name) + ": expected lat in [-90, 90], got "
                  + format_double(w.lat));
    if (!std::isfinite(w.lon) || w.lon < -180 || w.lon > 180)
      return fail("warehouse " + quoted(w.name) + ": expected lon in [-180, 180], got "
                  + format_double(w.lon));
  }
  (*std::get<warehouses_ref>(s.ref))(cfg) = std::move(list);
  return {};
}

std::string_view trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty())
    return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

/// Parses "name:lat:lon;name:lat:lon" (empty segments are skipped).
std::optional<std::vector<warehouse>> parse_warehouses(std::string_view text) {
  std::vector<warehouse> result;
  while (!text.empty()) {
    auto semi = text.find(';');
    auto item = trim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    if (item.empty())
      continue;
    auto c1 = item.find(':');
    auto c2 = c1 == std::string_view::npos ? c1 : item.find(':', c1 + 1);
    if (c2 == std::string_view::npos || item.find(':', c2 + 1) != std::string_view::npos)
      return std::nullopt;
    warehouse w;
    w.name = std::string{trim(item.substr(0, c1))};
    if (!parse_number(trim(item.substr(c1 + 1, c2 - c1 - 1)), w.lat)
        || !parse_number(trim(item.substr(c2 + 1)), w.lon))
      return std::nullopt;
    result.push_back(std::move(w));
  }
  return result;
}

/// Applies a value given as text (environment variable or flag).
std::string assign_text(const setting& s, std::string_view text, config& cfg,
                        std::string_view origin) {
  if (std::holds_alternative<string_ref>(s.ref))
    return assign_string(s, std::string{text}, cfg, origin);
  if (std::holds_alternative<integer_ref>(s.ref)) {
    int64_t value = 0;
    if (!parse_number(text, value))
      return bad_value(s, expectation(s), quoted(text), origin);
    return assign_integer(s, value, quoted(text), cfg, origin);
  }
  if (std::holds_alternative<number_ref>(s.ref)) {
    double value = 0;
    if (!parse_number(text, value))
      return bad_value(s, expectation(s), quoted(text), origin);
    return assign_number(s, value, quoted(text), cfg, origin);
  }
  if (auto r = std::get_if<boolean_ref>(&s.ref)) {
    if (text == "true" || text == "1")
      (*r)(cfg) = true;
    else if (text == "false" || text == "0")
      (*r)(cfg) = false;
    else
      return bad_value(s, expectation(s), quoted(text), origin);
    return {};
  }
  auto list = parse_warehouses(text);
  if (!list)
    return bad_value(s, expectation(s), quoted(text), origin);
  return assign_warehouses(s, std::move(*list), cfg, origin);
}

// -- TOML file ----------------------------------------------------------------

/// A TOML value as it would appear in the file, for error messages.
std::string describe(const toml::node& node) {
  if (auto str = node.as_string())
    return quoted(str->get());
  if (node.is_table())
    return "a table";
  if (node.is_array())
    return "an array";
  std::ostringstream out;
  node.visit([&](const auto& value) { out << value; });
  return out.str();
}

std::string origin_of(const std::string& path, const toml::source_region& where) {
  return path + " line " + std::to_string(where.begin.line);
}

std::optional<double> toml_number(const toml::node* node) {
  if (node == nullptr)
    return std::nullopt;
  if (auto f = node->as_floating_point())
    return f->get();
  if (auto i = node->as_integer())
    return static_cast<double>(i->get());
  return std::nullopt;
}

std::string assign_toml_warehouses(const setting& s, const toml::node& node, config& cfg,
                                   const std::string& path) {
  auto origin = origin_of(path, node.source());
  auto array = node.as_array();
  if (array == nullptr)
    return bad_value(s, "an array of tables {name, lat, lon}", describe(node), origin);
  std::vector<warehouse> list;
  for (size_t i = 0; i < array->size(); ++i) {
    const auto& element = *array->get(i);
    auto item_origin = origin_of(path, element.source());
    auto where = s.name() + "[" + std::to_string(i) + "]";
    auto table = element.as_table();
    if (table == nullptr)
      return where + ": expected a table {name, lat, lon}, got " + describe(element)
             + " (from " + item_origin + ')';
    for (auto&& [key, value] : *table) {
      if (key.str() != "name" && key.str() != "lat" && key.str() != "lon")
        return where + "." + std::string{key.str()}
               + ": unknown key; a warehouse has name, lat and lon (from "
               + origin_of(path, value.source()) + ')';
    }
    warehouse w;
    auto name = table->get_as<std::string>("name");
    if (name == nullptr)
      return where + ".name: expected a string (from " + item_origin + ')';
    w.name = name->get();
    auto lat = toml_number(table->get("lat"));
    auto lon = toml_number(table->get("lon"));
    if (!lat)
      return where + ".lat: expected a number in [-90, 90] (from " + item_origin + ')';
    if (!lon)
      return where + ".lon: expected a number in [-180, 180] (from " + item_origin + ')';
    w.lat = *lat;
    w.lon = *lon;
    list.push_back(std::move(w));
  }
  return assign_warehouses(s, std::move(list), cfg, origin);
}

std::string assign_toml(const setting& s, const toml::node& node, config& cfg,
                        const std::string& path) {
  auto origin = origin_of(path, node.source());
  if (std::holds_alternative<string_ref>(s.ref)) {
    auto str = node.as_string();
    if (str == nullptr)
      return bad_value(s, expectation(s), describe(node), origin);
    return assign_string(s, str->get(), cfg, origin);
  }
  if (std::holds_alternative<integer_ref>(s.ref)) {
    auto value = node.as_integer();
    if (value == nullptr)
      return bad_value(s, expectation(s), describe(node), origin);
    return assign_integer(s, value->get(), describe(node), cfg, origin);
  }
  if (std::holds_alternative<number_ref>(s.ref)) {
    auto value = toml_number(&node);
    if (!value)
      return bad_value(s, expectation(s), describe(node), origin);
    return assign_number(s, *value, describe(node), cfg, origin);
  }
  if (auto r = std::get_if<boolean_ref>(&s.ref)) {
    auto value = node.as_boolean();
    if (value == nullptr)
      return bad_value(s, "a boolean (true or false)", describe(node), origin);
    (*r)(cfg) = value->get();
    return {};
  }
  return assign_toml_warehouses(s, node, cfg, path);
}

std::string apply_file(const std::string& path, config& cfg) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    std::string result = "--config: cannot load " + path;
    if (err.source().begin.line > 0)
      result += " line " + std::to_string(err.source().begin.line);
    result += ": ";
    result += err.description();
    return result;
  }
  for (auto&& [section_key, section_node] : root) {
    auto section = section_key.str();
    auto table = section_node.as_table();
    if (table == nullptr || !known_section(section)) {
      auto origin = origin_of(path, section_key.source());
      if (known_section(section))
        return std::string{section} + ": expected a table [" + std::string{section}
               + "], got " + describe(section_node) + " (from " + origin + ')';
      return std::string{section} + ": unknown "
             + (table != nullptr ? "section" : "setting (settings belong in a [section])")
             + suggestion(section, false) + " (from " + origin + ')';
    }
    for (auto&& [key, node] : *table) {
      auto s = find_setting(section, key.str());
      if (s == nullptr) {
        auto name = std::string{section} + "." + std::string{key.str()};
        return name + ": unknown setting" + suggestion(name, false) + " (from "
               + origin_of(path, key.source()) + ')';
      }
      if (auto err = assign_toml(*s, node, cfg, path); !err.empty())
        return err;
    }
  }
  return {};
}

// -- environment ----------------------------------------------------------------

/// Applies every AGORA_<SECTION>__<KEY> variable. Variables that start with
/// AGORA_ but have no "__" (AGORA_TEST_PG, AGORA_DEV_PG_PORT) belong to the
/// scripts and tests, not to the node, and are left alone.
std::string apply_env(const char* const* envp, config& cfg) {
  if (envp == nullptr)
    return {};
  constexpr std::string_view prefix = "AGORA_";
  for (auto entry = envp; *entry != nullptr; ++entry) {
    std::string_view var{*entry};
    if (var.substr(0, prefix.size()) != prefix)
      continue;
    auto eq = var.find('=');
    if (eq == std::string_view::npos)
      continue;
    auto name = var.substr(0, eq);
    auto rest = name.substr(prefix.size());
    auto sep = rest.find("__");
    if (sep == std::string_view::npos)
      continue;
    auto section = lower(rest.substr(0, sep));
    auto key = lower(rest.substr(sep + 2));
    auto s = find_setting(section, key);
    if (s == nullptr) {
      auto setting_name = section + "." + key;
      return setting_name + ": unknown setting" + suggestion(setting_name, false) + " (from "
             + std::string{name} + ')';
    }
    if (auto err = assign_text(*s, var.substr(eq + 1), cfg, name); !err.empty())
      return err;
  }
  return {};
}

// -- command line ---------------------------------------------------------------

struct flag_value {
  const setting* target;
  std::string value;
  std::string origin;
};

struct command_line {
  bool help = false;
  std::optional<std::string> config_file;
  std::vector<flag_value> values;
  std::string error;
};

bool is_bool_literal(std::string_view text) {
  return text == "true" || text == "false" || text == "1" || text == "0";
}

command_line parse_command_line(int argc, const char* const* argv) {
  command_line result;
  auto fail = [&](std::string message) {
    if (result.error.empty())
      result.error = std::move(message);
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg{argv[i]};
    if (arg == "-h" || arg == "--help") {
      result.help = true;
      continue;
    }
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      fail("unexpected argument " + quoted(arg) + " (settings are --section.key=value; see --help)");
      continue;
    }
    auto eq = arg.find('=');
    auto name = arg.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2);
    std::optional<std::string> value;
    if (eq != std::string_view::npos)
      value = std::string{arg.substr(eq + 1)};
    auto next_is_value = [&] {
      return i + 1 < argc && std::string_view{argv[i + 1]}.substr(0, 2) != "--";
    };
    if (name == "config") {
      if (!value && next_is_value())
        value = argv[++i];
      if (!value || value->empty())
        fail("--config: expected a file name");
      else
        result.config_file = *value;
      continue;
    }
    auto dot = name.find('.');
    auto s = dot == std::string_view::npos
               ? nullptr
               : find_setting(name.substr(0, dot), name.substr(dot + 1));
    if (s == nullptr) {
      fail("--" + std::string{name} + ": unknown setting" + suggestion(name, true)
           + " (see --help)");
      continue;
    }
    if (!value) {
      if (std::holds_alternative<boolean_ref>(s->ref)) {
        // A bare boolean flag means true; an explicit literal may follow.
        if (i + 1 < argc && is_bool_literal(argv[i + 1]))
          value = argv[++i];
        else
          value = "true";
      } else if (next_is_value()) {
        value = argv[++i];
      } else {
        fail(flag_name(*s) + ": expected a value (" + flag_name(*s) + "=VALUE)");
        continue;
      }
    }
    result.values.push_back({s, std::move(*value), flag_name(*s)});
  }
  return result;
}

// -- cross-setting rules --------------------------------------------------------

std::string check_production(const config& cfg) {
  if (cfg.node.mode != "production")
    return {};
  if (cfg.auth.admin_password == default_admin_password)
    return "auth.admin_password: the default development password is not allowed when "
           "node.mode is production (set AGORA_AUTH__ADMIN_PASSWORD)";
  if (cfg.auth.jwt_secret == default_jwt_secret)
    return "auth.jwt_secret: the default development secret is not allowed when node.mode "
           "is production (set AGORA_AUTH__JWT_SECRET)";
  return {};
}

// -- help formatting ------------------------------------------------------------

/// Appends `text` word-wrapped at 79 columns, each line indented by `indent`.
void append_wrapped(std::string& out, std::string_view text, size_t indent) {
  constexpr size_t width = 79;
  size_t column = 0;
  while (!text.empty()) {
    auto space = text.find(' ');
    auto word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
    if (word.empty())
      continue;
    if (column == 0) {
      out.append(indent, ' ');
      column = indent;
    } else if (column + 1 + word.size() > width) {
      out += '\n';
      out.append(indent, ' ');
      column = indent;
    } else {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
  }
  out += '\n';
}

} // namespace

// -- public API ---------------------------------------------------------------

config_outcome load_config(int argc, const char* const* argv, const char* const* envp) {
  config_outcome outcome;
  auto cli = parse_command_line(argc, argv);
  if (cli.help) {
    outcome.help = true;
    return outcome;
  }
  if (!cli.error.empty()) {
    outcome.error = std::move(cli.error);
    return outcome;
  }
  config cfg;
  if (cli.config_file) {
    if (auto err = apply_file(*cli.config_file, cfg); !err.empty()) {
      outcome.error = std::move(err);
      return outcome;
    }
  }
  if (auto err = apply_env(envp, cfg); !err.empty()) {
    outcome.error = std::move(err);
    return outcome;
  }
  for (const auto& flag : cli.values) {
    if (auto err = assign_text(*flag.target, flag.value, cfg, flag.origin); !err.empty()) {
      outcome.error = std::move(err);
      return outcome;
    }
  }
  if (auto err = check_production(cfg); !err.empty()) {
    outcome.error = std::move(err);
    return outcome;
  }
  outcome.cfg = std::move(cfg);
  return outcome;
}

int64_t scheduler_threads(const config& cfg, int64_t cores) {
  if (cfg.node.threads > 0)
    return cfg.node.threads;
  return std::max<int64_t>(1, cores - cfg.http.threads);
}

std::string config_help(const char* program) {
  std::string out;
  out += "Usage: ";
  out += program != nullptr ? program : "agora-node";
  out += " [--config FILE] [--section.key=VALUE ...]\n\n";
  out += "Runs one Agora node. Settings come from, in increasing priority:\n"
         "  1. the built-in defaults listed below;\n"
         "  2. the TOML file given with --config FILE ([section] tables of key = value);\n"
         "  3. environment variables AGORA_<SECTION>__<KEY> (upper case, two underscores),\n"
         "     e.g. AGORA_HTTP__PORT=9090;\n"
         "  4. flags --section.key=VALUE or --section.key VALUE, e.g. --http.port=9090.\n"
         "Variables and flags give values as text: integers in decimal, booleans as true,\n"
         "false, 1 or 0 (a boolean flag on its own means true). Unknown settings, values\n"
         "of the wrong type and values out of range stop start-up with a message naming\n"
         "the setting. In production mode the default admin password and JWT secret are\n"
         "refused.\n\n"
         "Options:\n"
         "  --config FILE   read settings from a TOML file (config/agora.toml lists all)\n"
         "  -h, --help      print this help and exit\n\n"
         "Settings:\n";
  config defaults;
  std::string_view section;
  for (const auto& s : settings()) {
    if (s.section != section) {
      section = s.section;
      out += "\n  [";
      out += section;
      out += "]\n";
    }
    out += "  ";
    out += s.name();
    out += "  (";
    out += type_name(s);
    out += ", default ";
    auto value = value_text(s, defaults);
    out += std::holds_alternative<integer_ref>(s.ref) || std::holds_alternative<number_ref>(s.ref)
               || std::holds_alternative<boolean_ref>(s.ref)
             ? value
             : quoted(value);
    out += ")\n";
    append_wrapped(out, s.help, 6);
    if (!std::holds_alternative<warehouses_ref>(s.ref))
      append_wrapped(out, "Accepts " + expectation(s) + ".", 6);
    append_wrapped(out, "env " + env_name(s) + ", flag " + flag_name(s), 6);
  }
  return out;
}

std::vector<setting_info> config_settings(const agora::config& cfg) {
  config copy = cfg;
  std::vector<setting_info> result;
  result.reserve(settings().size());
  for (const auto& s : settings()) {
    setting_info info;
    info.name = s.name();
    info.type = type_name(s);
    info.value = value_text(s, copy);
    info.help = std::string{s.help};
    info.env = env_name(s);
    info.flag = flag_name(s);
    info.secret = s.secret;
    result.push_back(std::move(info));
  }
  return result;
}

} // namespace agora
