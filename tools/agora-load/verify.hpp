// The arithmetic of the end-of-run verification, without I/O: the mixed
// scenario's journey picker, stock conservation per SKU, the count of
// orders against the checkouts the run saw succeed, and the timestamps of
// the order list. engine.cpp reads the figures through the API and hands
// them here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tools/agora-load/options.hpp"
#include "tools/agora-load/stats.hpp"

namespace agora::load {

/// Draws a journey kind with probability weight / total (weights as parsed
/// by parse_mix: non-negative, not all zero).
mix_kind pick_kind(const mix_weights& m, std::mt19937_64& rng);

/// Lines of one cart: uniform in [r.min, r.max].
int pick_lines(const line_range& r, std::mt19937_64& rng);

/// Units per SKU.
using sku_units = std::map<std::string, int64_t>;

/// Units of each SKU in the lines of `checkouts`, added to `into`.
void add_units(const std::vector<checkout_record>& checkouts, sku_units& into);

/// Stock conservation: for every SKU read at set-up,
///   initial on_hand - final on_hand == units sold by successful checkouts,
/// where `sold` counts the checkouts known to have succeeded and
/// `maybe_sold` the units of checkouts whose outcome is still unknown (a
/// SKU's decrease may lie anywhere in [sold, sold + maybe_sold]).
struct conservation {
  std::size_t skus = 0;
  std::size_t mismatches = 0;
  int64_t units_sold = 0;
  int64_t units_decreased = 0;
  /// The first few mismatches, in words.
  std::vector<std::string> examples;
  bool ok() const { return mismatches == 0; }
  /// One line: what was compared and the verdict's figures.
  std::string detail() const;
};

conservation check_conservation(const sku_units& initial_on_hand, const sku_units& final_on_hand,
                                const sku_units& sold, const sku_units& maybe_sold = {},
                                std::size_t examples = 5);

/// Orders placed since the run began, by their status now.
struct order_tally {
  /// paid, shipped, delivered or refunded: a checkout that completed.
  uint64_t completed = 0;
  /// cancelled: a checkout that compensated after placing its order.
  uint64_t cancelled = 0;
  /// pending: a checkout still running.
  uint64_t pending = 0;
  uint64_t other = 0;
  uint64_t total() const { return completed + cancelled + pending + other; }
  void add(std::string_view status);
};

/// Orders created == checkouts reported successful. `unreported` checkouts
/// were cut off after their POST (no answer, or the end of the run) and
/// were found to have completed; `unknown` ones were cut off and their
/// outcome could not be told: completed orders may exceed reported +
/// unreported by at most `unknown`.
struct order_count_check {
  bool ok = false;
  std::string detail;
};

order_count_check check_order_count(const order_tally& orders, uint64_t reported,
                                    uint64_t unreported, uint64_t unknown);

/// Milliseconds since the Unix epoch of an RFC 3339 UTC timestamp as the
/// node writes them ("2026-11-21T10:15:00.123Z"; fraction optional, "Z" or
/// "+00:00"); nullopt when it is not one.
std::optional<int64_t> parse_timestamp_ms(std::string_view text);

/// A flash-sale checkout's reservation decision on the node's clock, from
/// its GET /checkouts/{id}: when the checkout started, and when its
/// reserve_inventory step finished (a winner's once the inventory's durable
/// reservation was recorded by the saga; a refusal's at its start, refused
/// on admission).
struct decision_times {
  int64_t started_ms = 0;
  int64_t decided_ms = 0;
};

/// nullopt when the body holds no started_at, or no finished
/// reserve_inventory step.
std::optional<decision_times> parse_decision(std::string_view checkout_body);

/// A race's reservation decisions on the node's clock: `decided` of them,
/// from the first checkout's start to the last decision.
struct decision_span {
  std::size_t decided = 0;
  int64_t first_ms = 0;
  int64_t last_ms = 0;
  double seconds() const { return static_cast<double>(last_ms - first_ms) / 1000.0; }
  /// Decisions per second; a span shorter than the timestamps' millisecond
  /// counts as one millisecond.
  double per_second() const;
};

decision_span span_of(const std::vector<decision_times>& decisions);

} // namespace agora::load
