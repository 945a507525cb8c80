// Process-wide metrics in Prometheus terms: counters, gauges and histograms,
// each identified by a name and a label set. Updates are lock-free atomics;
// only the first lookup of a series takes a lock, so hot paths look a series
// up once and keep the reference (series are never destroyed).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace agora::metrics {

/// Label pairs in a fixed order, e.g. {{"route", "/api/v1/carts"}, {"status", "200"}}.
using labels = std::vector<std::pair<std::string, std::string>>;

class counter {
public:
  void inc(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<uint64_t> value_{0};
};

class gauge {
public:
  void set(int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<int64_t> value_{0};
};

/// A histogram with fixed upper bounds (inclusive, as Prometheus `le`).
class histogram {
public:
  explicit histogram(std::vector<double> bounds);
  void observe(double v) noexcept;
  const std::vector<double>& bounds() const noexcept { return bounds_; }
  /// Cumulative counts per bound, then the +Inf count.
  std::vector<uint64_t> cumulative() const;
  double sum() const noexcept;
  uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_micro_{0};
};

/// Latency buckets in seconds, 100 µs to 10 s.
const std::vector<double>& latency_buckets();

counter& get_counter(std::string_view name, std::string_view help, const labels& ls = {});
gauge& get_gauge(std::string_view name, std::string_view help, const labels& ls = {});
histogram& get_histogram(std::string_view name, std::string_view help,
                         const std::vector<double>& bounds, const labels& ls = {});

/// A gauge computed when scraped (actors alive, queue depths).
void register_callback(std::string_view name, std::string_view help,
                       std::function<std::vector<std::pair<labels, double>>()> fn);

/// Everything, in the Prometheus text exposition format 0.0.4.
std::string render_prometheus();

} // namespace agora::metrics
