// Shipping quotes (API.md "Shipping"): the great-circle distance to the
// nearest warehouse and a cost in integer arithmetic on whole metres.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace agora::shipping {

/// Mean Earth radius (IUGG), km.
inline constexpr double earth_radius_km = 6371.0088;

struct quote {
  /// Whole metres to the nearest warehouse.
  int64_t distance_m = 0;
  int64_t cost_cents = 0;
  std::string currency;
  warehouse from;
};

/// Haversine distance in metres between two points given in degrees.
double distance_m(double lat1, double lon1, double lat2, double lon2);

/// `base + round_half_up(distance_m × cents_per_km / 1000)`.
int64_t cost_cents(int64_t distance_m, int64_t base_cents, int64_t cents_per_km);

/// The quote from the nearest warehouse; nullopt when none is configured.
std::optional<quote> quote_for(const config::shipping_section& cfg, double lat, double lon);

} // namespace agora::shipping
