#include "tools/agora-load/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace agora::load {

namespace {

// Exact below 2^sub_bits; then 2^(sub_bits-1) buckets per power of two.
constexpr unsigned sub_bits = 11;
constexpr uint64_t sub_count = uint64_t{1} << sub_bits; // 2048
constexpr uint64_t half_count = sub_count / 2;           // 1024
// The largest shift needed for max_trackable (32 bits wide).
constexpr unsigned max_shift = 32 - sub_bits;

} // namespace

std::size_t histogram::bucket_count() {
  return sub_count + max_shift * half_count;
}

std::size_t histogram::bucket_of(uint64_t value) {
  value = std::min(value, max_trackable);
  if (value < sub_count)
    return static_cast<std::size_t>(value);
  unsigned shift = static_cast<unsigned>(std::bit_width(value)) - sub_bits; // >= 1
  uint64_t mantissa = value >> shift;                                         // [1024, 2047]
  return static_cast<std::size_t>(sub_count + (shift - 1) * half_count + (mantissa - half_count));
}

uint64_t histogram::bucket_low(std::size_t bucket) {
  if (bucket < sub_count)
    return bucket;
  uint64_t rest = bucket - sub_count;
  unsigned shift = static_cast<unsigned>(rest / half_count) + 1;
  uint64_t mantissa = half_count + rest % half_count;
  return mantissa << shift;
}

uint64_t histogram::bucket_high(std::size_t bucket) {
  if (bucket < sub_count)
    return bucket;
  unsigned shift = static_cast<unsigned>((bucket - sub_count) / half_count) + 1;
  return bucket_low(bucket) + (uint64_t{1} << shift) - 1;
}

histogram::histogram() : counts_(bucket_count(), 0) {}

void histogram::record(uint64_t value_us) {
  ++counts_[bucket_of(value_us)];
  if (count_ == 0 || value_us < min_)
    min_ = value_us;
  max_ = std::max(max_, value_us);
  ++count_;
  sum_ += static_cast<long double>(value_us);
}

void histogram::add(const histogram& other) {
  if (other.count_ == 0)
    return;
  for (std::size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = min_ = max_ = 0;
  sum_ = 0;
}

double histogram::mean() const {
  return count_ ? static_cast<double>(sum_ / static_cast<long double>(count_)) : 0.0;
}

uint64_t histogram::value_at_percentile(double percentile) const {
  if (count_ == 0)
    return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // Rank of the value wanted (1-based): at least 1, at most count.
  // (The small epsilon keeps 99.9% of 1000 at rank 999 despite rounding.)
  auto rank = static_cast<uint64_t>(
    std::ceil(percentile / 100.0 * static_cast<double>(count_) - 1e-9));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank)
      return std::clamp(bucket_high(i), min(), max_);
  }
  return max_;
}

} // namespace agora::load
