// How saga steps retry: a bounded number of attempts with exponential
// backoff and full jitter (the delay before attempt n+1 is uniform in
// [0, min(cap, base * 2^(n-1))]), so retries of many sagas hitting the same
// entity spread out instead of arriving in waves.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace agora::sagas {

struct retry_policy {
  /// Attempts in all, the first one included.
  int max_attempts = 3;
  std::chrono::milliseconds base_delay{50};
  std::chrono::milliseconds max_delay{2000};

  /// The delay before attempt `next_attempt` (2, 3, ...) given a uniform
  /// random number in [0, 1); nullopt when no attempt is left.
  std::optional<std::chrono::milliseconds> delay_before(int next_attempt,
                                                        double random01) const;
};

} // namespace agora::sagas
