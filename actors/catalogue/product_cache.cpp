#include "actors/catalogue/product_cache.hpp"

#include <atomic>

namespace agora::catalogue {

product_info to_info(const product::state& st) {
  return product_info{st.sku, st.name, st.price_cents, st.currency, st.exists && !st.retired};
}

void product_cache::store(const product::state& st) {
  if (!st.exists)
    return;
  auto info = std::make_shared<const product_info>(to_info(st));
  std::unique_lock guard{mtx_};
  entries_[st.sku] = std::move(info);
}

product_ref product_cache::find_ref(std::string_view sku) const {
  std::shared_lock guard{mtx_};
  auto i = entries_.find(sku);
  return i == entries_.end() ? nullptr : i->second;
}

std::optional<product_info> product_cache::find(std::string_view sku) const {
  if (auto ref = find_ref(sku))
    return *ref;
  return std::nullopt;
}

size_t product_cache::size() const {
  std::shared_lock guard{mtx_};
  return entries_.size();
}

void product_cache::lookup(const std::string& sku, lookup_fn done) {
  if (auto hit = find(sku))
    return done(std::move(hit));
  products_.tell(sku, product::get{}, {},
                 [this, done = std::move(done)](result<product::state> res) {
                   if (!res || !res->exists)
                     return done(std::nullopt);
                   store(*res);
                   done(to_info(*res));
                 });
}

void product_cache::lookup_all(const std::vector<std::string_view>& skus, batch_fn done) {
  product_refs found(skus.size());
  std::vector<size_t> misses;
  for (size_t i = 0; i < skus.size(); ++i)
    if (!(found[i] = find_ref(skus[i])))
      misses.push_back(i);
  if (misses.empty())
    return done(std::move(found));
  // Each answer fills its own position; the last one calls `done`.
  struct gather {
    product_refs found;
    std::atomic<size_t> missing;
    batch_fn done;
  };
  auto g = std::make_shared<gather>(std::move(found), misses.size(), std::move(done));
  for (auto i : misses)
    lookup(std::string(skus[i]), [g, i](std::optional<product_info> info) {
      if (info)
        g->found[i] = std::make_shared<const product_info>(std::move(*info));
      if (g->missing.fetch_sub(1, std::memory_order_acq_rel) == 1)
        g->done(std::move(g->found));
    });
}

} // namespace agora::catalogue
