// The node's view of what each SKU has available (on hand less reserved),
// so that adding a cart line needs no round trip to the inventory entity.
//
// Only the inventory region's change hook writes it: an entry holds the
// durable levels of an entity that has nothing pending, and is dropped as
// soon as a decision leaves its entity with events not yet durable (the
// hook's nullptr). The hook runs before the write's replies go out, so a
// figure read here is never behind what asking the entity would answer; a
// miss asks the entity. Every inventory write on this node goes through its
// entity, so an entry outlives the entity's passivation unchanged.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/common/string_hash.hpp"
#include "actors/inventory/inventory.hpp"
#include "actors/runtime/region.hpp"

namespace agora::inventory {

class stock_cache {
public:
  /// `st` settled, or nullptr (a change is pending: the entry goes).
  void store(const std::string& sku, const state* st);

  /// The change hook for the inventory region: store().
  runtime::change_hook<inventory_traits> hook() {
    return [this](const std::string& sku, const state* st) { store(sku, st); };
  }

  /// on_hand - reserved of a settled entity, else nullopt.
  std::optional<int64_t> available(std::string_view sku) const;

private:
  mutable std::shared_mutex mtx_;
  std::unordered_map<std::string, int64_t, string_hash, std::equal_to<>> available_;
};

} // namespace agora::inventory
