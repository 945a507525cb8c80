// The node's in-memory view of the catalogue's hot fields (name, price,
// currency, listed) for carts: adding a line and rendering a cart need the
// current price of each SKU without a round trip per line.
//
// It is filled from product entities only: their change hook writes every
// durable change through, and a miss asks the product entity (which recovers
// from the journal). Because every product write on this node goes through
// its entity, a cached entry is never older than the journal.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/common/string_hash.hpp"
#include "actors/product/product.hpp"
#include "actors/runtime/region.hpp"

namespace agora::catalogue {

/// What carts need to know about a product.
struct product_info {
  std::string sku;
  std::string name;
  int64_t price_cents = 0;
  std::string currency;
  /// Created and not retired.
  bool listed = false;

  friend bool operator==(const product_info&, const product_info&) = default;
};

product_info to_info(const product::state& st);

/// A cached entry: shared, never changed (a change stores a new one).
using product_ref = std::shared_ptr<const product_info>;

/// The products of a list of SKUs, position by position (null: the SKU was
/// never created).
using product_refs = std::vector<product_ref>;

class product_cache {
public:
  using lookup_fn = std::function<void(std::optional<product_info>)>;
  using batch_fn = std::function<void(product_refs)>;

  /// Must be set before the first lookup that can miss.
  void attach(runtime::region_ref<product::product_traits> products) { products_ = products; }

  /// Stores the product's current fields (after a miss, and from the hook).
  void store(const product::state& st);

  /// The change hook for the product region: stores every settled state. An
  /// entry stays while a change is pending (carts read prices; checkout
  /// prices the cart from the product entities).
  runtime::change_hook<product::product_traits> hook() {
    return [this](const std::string&, const product::state* st) {
      if (st)
        store(*st);
    };
  }

  /// The cached entry, if any.
  std::optional<product_info> find(std::string_view sku) const;

  /// Calls `done` with the product (nullopt: never created) — at once on a
  /// hit, else after asking its entity. `done` may run on any thread.
  void lookup(const std::string& sku, lookup_fn done);

  /// Resolves several SKUs; `done` gets their products (listed or not) in
  /// the same order — at once when all are cached.
  void lookup_all(const std::vector<std::string_view>& skus, batch_fn done);

  size_t size() const;

private:
  product_ref find_ref(std::string_view sku) const;

  mutable std::shared_mutex mtx_;
  std::unordered_map<std::string, product_ref, string_hash, std::equal_to<>> entries_;
  runtime::region_ref<product::product_traits> products_;
};

} // namespace agora::catalogue
