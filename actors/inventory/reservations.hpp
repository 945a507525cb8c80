// Multi-line stock reservations, all or nothing. Each SKU is its own
// inventory entity, so a reservation of several lines is one reservation id
// applied to several entities: when one line is refused, the lines already
// reserved are released (by the same id) before the caller hears of the
// refusal. Every step is idempotent by reservation id, so a caller (the
// checkout saga) may repeat any of these calls after a crash or a timeout;
// lines left reserved by a caller that vanished expire with their TTL.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actors/inventory/inventory.hpp"
#include "actors/runtime/region.hpp"

namespace agora::inventory {

struct line {
  std::string sku;
  int64_t quantity = 0;
};

/// Receives nullopt on success, else the first refusal (e.g. out_of_stock
/// with details {sku, requested, available}) or failure.
using outcome_fn = std::function<void(std::optional<problem>)>;

/// Reserves every line until `expires_at`, or none of them. Lines naming the
/// same SKU are merged.
void reserve_all(const runtime::region_ref<inventory_traits>& items, std::string reservation_id,
                 std::vector<line> lines, timestamp_us expires_at, std::string correlation_id,
                 outcome_fn done);

/// Admits a checkout on every line's SKU (inventory::admit, memory only,
/// until `until`), or on none: `done` gets nullopt, or the first refusal in
/// SKU order (out_of_stock, as reserve_all reports it, with `available`
/// less the other live admissions), after the lines admitted are withdrawn.
/// Checkouts arriving together see each other's admissions before any has
/// reserved. Advisory: a SKU that cannot be reached counts as admitted (the
/// reservation decides), and the reservation of `reservation_id` takes the
/// admission's place. Call it before anything reserves `reservation_id`:
/// withdrawing is a release of that id.
void admit_all(const runtime::region_ref<inventory_traits>& items, std::string reservation_id,
               std::vector<line> lines, timestamp_us until, std::string correlation_id,
               outcome_fn done);

/// Releases the reservation (or the admission) on every SKU (unknown or
/// finished ids are no-ops).
void release_all(const runtime::region_ref<inventory_traits>& items, std::string reservation_id,
                 std::vector<std::string> skus, std::string correlation_id, outcome_fn done);

/// Commits the reservation on every SKU (stock leaves on_hand and reserved).
void commit_all(const runtime::region_ref<inventory_traits>& items, std::string reservation_id,
                std::vector<std::string> skus, std::string correlation_id, outcome_fn done);

} // namespace agora::inventory
