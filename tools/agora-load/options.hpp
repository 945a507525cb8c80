// agora-load's command line: what to run (scenario), how (closed loop with
// --customers or open loop with --rate), against what (--url), and the
// scenario's knobs. Pure: parse_options never touches the network.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace agora::load {

enum class scenario { checkout, cart, browse, flash_sale, mixed };

const char* to_string(scenario s);
std::optional<scenario> parse_scenario(const std::string& text);

/// The kinds of journey the mixed scenario chooses between.
enum class mix_kind { checkout, price, orders, ship };
inline constexpr std::size_t mix_kind_count = 4;
const char* to_string(mix_kind k);

/// Relative weights of the mixed scenario's journey kinds, indexed by
/// mix_kind (non-negative, not all zero).
struct mix_weights {
  std::array<int64_t, mix_kind_count> weight{70, 10, 15, 5};
  int64_t total() const;
  int64_t of(mix_kind k) const { return weight[static_cast<std::size_t>(k)]; }
  /// "checkout=70,price=10,orders=15,ship=5".
  std::string text() const;
};

/// Parses "checkout=70,price=10,orders=15,ship=5": kinds not named weigh 0;
/// the error names the bad part.
std::variant<mix_weights, std::string> parse_mix(const std::string& text);

/// Lines per cart: drawn uniformly from [min, max] for every journey.
struct line_range {
  int min = 1;
  int max = 5;
  /// "3" or "1-5".
  std::string text() const;
};

/// Parses "N" or "MIN-MAX", 1 <= MIN <= MAX <= 5.
std::variant<line_range, std::string> parse_lines(const std::string& text);

/// http://host[:port][/prefix] (https is not supported).
struct base_url {
  std::string host;
  std::string port = "80";
  /// Path prefix without a trailing slash ("" for none).
  std::string prefix;
};

/// Parses an http URL; the error says what is wrong.
std::variant<base_url, std::string> parse_url(const std::string& text);

struct options {
  load::scenario scenario = load::scenario::checkout;
  base_url url{"127.0.0.1", "8080", ""};
  std::string url_text = "http://127.0.0.1:8080";

  /// Closed loop: this many virtual customers, each running journeys back
  /// to back on its own keep-alive connection. Also the size of the pool
  /// of registered customers in open loop with --register.
  int customers = 16;
  /// Open loop when set: journeys started per second on a fixed schedule.
  std::optional<double> rate;
  /// Open loop: most connections (journeys in flight) at once; journeys
  /// due beyond that wait, and their wait counts in their latency.
  int max_connections = 4096;

  double duration_s = 30;
  double warmup_s = 5;
  int threads = 1;

  /// checkout / cart / mixed: lines per cart, a number or a range in 1-5,
  /// drawn per journey.
  line_range lines;
  /// checkout: register and log in every virtual customer first, send its
  /// token, and read the order at the end of each journey. Always on for
  /// mixed (order lists need a customer).
  bool do_register = false;
  /// mixed: weights of the journey kinds.
  mix_weights mix;

  /// flash-sale: units of the one SKU on sale.
  int64_t stock = 100;
  std::string admin_email = "admin@agora.local";
  std::string admin_password = "agora-admin-dev";

  /// Per-request timeout (a checkout with wait=true may take 10 s).
  double timeout_s = 30;
  /// Send an Idempotency-Key with each checkout POST (as a real client does).
  bool idempotency_key = true;
  /// Checkout verification: successful journeys read back at the end.
  int verify_sample = 200;
  bool verify = true;
  /// Seed of the random choices (0: from the clock).
  uint64_t seed = 0;

  std::optional<std::string> out_path;
  /// Progress line on stderr: auto (only on a terminal), always, never.
  std::string progress = "auto";

  bool help = false;
  /// The command line as given, for the result file.
  std::vector<std::string> argv;

  bool open_loop() const { return rate.has_value(); }
};

/// Parses argv[1..] (`--key value` or `--key=value`). The error names the
/// option and what was expected.
std::variant<options, std::string> parse_options(const std::vector<std::string>& args);

std::string usage();

} // namespace agora::load
