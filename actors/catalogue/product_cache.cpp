#include "actors/catalogue/product_cache.hpp"

#include <atomic>
#include <mutex>

namespace agora::catalogue {

product_info to_info(const product::state& st) {
  return product_info{st.sku, st.name, st.price_cents, st.currency, st.exists && !st.retired};
}

void product_cache::store(const product::state& st) {
  if (!st.exists)
    return;
  std::unique_lock guard{mtx_};
  entries_[st.sku] = to_info(st);
}

std::optional<product_info> product_cache::find(std::string_view sku) const {
  std::shared_lock guard{mtx_};
  auto i = entries_.find(std::string(sku));
  if (i == entries_.end())
    return std::nullopt;
  return i->second;
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

void product_cache::lookup_all(const std::vector<std::string>& skus, batch_fn done) {
  struct gather {
    std::mutex mtx;
    std::unordered_map<std::string, product_info> found;
    std::atomic<size_t> missing;
    batch_fn done;
  };
  auto g = std::make_shared<gather>();
  g->done = std::move(done);
  std::vector<std::string> misses;
  for (auto& sku : skus) {
    if (auto hit = find(sku))
      g->found.emplace(sku, std::move(*hit));
    else
      misses.push_back(sku);
  }
  if (misses.empty())
    return g->done(std::move(g->found));
  g->missing = misses.size();
  for (auto& sku : misses)
    lookup(sku, [g](std::optional<product_info> info) {
      {
        std::lock_guard guard{g->mtx};
        if (info)
          g->found.emplace(info->sku, std::move(*info));
      }
      if (--g->missing == 0)
        g->done(std::move(g->found));
    });
}

} // namespace agora::catalogue
