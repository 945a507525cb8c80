#include "actors/shipping/shipping.hpp"

#include <cmath>
#include <numbers>

namespace agora::shipping {

double distance_m(double lat1, double lon1, double lat2, double lon2) {
  constexpr double rad = std::numbers::pi / 180.0;
  double dlat = (lat2 - lat1) * rad;
  double dlon = (lon2 - lon1) * rad;
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(lat1 * rad) * std::cos(lat2 * rad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  double c = 2 * std::atan2(std::sqrt(a), std::sqrt(1 - a));
  return earth_radius_km * 1000.0 * c;
}

int64_t cost_cents(int64_t distance_m, int64_t base_cents, int64_t cents_per_km) {
  // round_half_up(d * c / 1000) for non-negative operands.
  return base_cents + (distance_m * cents_per_km + 500) / 1000;
}

std::optional<quote> quote_for(const config::shipping_section& cfg, double lat, double lon) {
  std::optional<quote> best;
  double best_m = 0;
  for (auto& w : cfg.warehouses) {
    double d = distance_m(lat, lon, w.lat, w.lon);
    if (!best || d < best_m) {
      best_m = d;
      best = quote{0, 0, cfg.currency, w};
    }
  }
  if (best) {
    best->distance_m = std::llround(best_m);
    best->cost_cents = cost_cents(best->distance_m, cfg.base_cents, cfg.cents_per_km);
  }
  return best;
}

} // namespace agora::shipping
