// A log-bucketed latency histogram in the manner of HdrHistogram: values (in
// microseconds) below 2048 are counted exactly; above, each power-of-two range
// is cut into 1024 equal buckets, so a reported value is within 0.1% of the
// true one. Fixed memory (~190 KB), O(1) record, histograms add up (threads,
// merges). Values above max_trackable (about 71 minutes) count as that value;
// max() stays exact.
#pragma once

#include <cstdint>
#include <vector>

namespace agora::load {

class histogram {
public:
  /// Largest value with its own bucket: 2^32 - 1 µs.
  static constexpr uint64_t max_trackable = (uint64_t{1} << 32) - 1;

  histogram();

  void record(uint64_t value_us);
  /// Adds every count of `other` (same bucket layout by construction).
  void add(const histogram& other);
  void reset();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const;
  /// The smallest value v such that at least `percentile`% of the recorded
  /// values are <= v, reported as the top of v's bucket (clamped to
  /// [min, max]); 0 when empty. percentile is clamped to [0, 100].
  uint64_t value_at_percentile(double percentile) const;

  // Bucket layout, public for the tests.
  static std::size_t bucket_of(uint64_t value);
  static uint64_t bucket_low(std::size_t bucket);
  static uint64_t bucket_high(std::size_t bucket);
  static std::size_t bucket_count();

private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = 0;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

} // namespace agora::load
