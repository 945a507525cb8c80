#include "actors/inventory/stock_cache.hpp"

#include <mutex>

namespace agora::inventory {

void stock_cache::store(const std::string& sku, const state* st) {
  std::unique_lock guard{mtx_};
  if (!st) {
    available_.erase(sku);
    return;
  }
  available_.insert_or_assign(sku, inventory_traits::make_view(*st).available());
}

std::optional<int64_t> stock_cache::available(std::string_view sku) const {
  std::shared_lock guard{mtx_};
  auto i = available_.find(sku);
  if (i == available_.end())
    return std::nullopt;
  return i->second;
}

} // namespace agora::inventory
