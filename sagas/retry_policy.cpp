#include "sagas/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace agora::sagas {

std::optional<std::chrono::milliseconds> retry_policy::delay_before(int next_attempt,
                                                                    double random01) const {
  if (next_attempt < 2 || next_attempt > max_attempts)
    return std::nullopt;
  // base * 2^(n-2) for the n-th attempt, without overflowing for large n.
  auto doublings = std::min(next_attempt - 2, 30);
  auto ceiling = std::min<int64_t>(max_delay.count(), base_delay.count() << doublings);
  auto r = std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(std::floor(r * ceiling)));
}

} // namespace agora::sagas
