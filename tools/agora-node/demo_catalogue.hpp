// The demo catalogue: about 250 realistic products in ten categories, for
// `catalogue.seed_demo = true` and for tests and benchmarks that want a
// believable shop. Pure data: the same list on every call and every machine
// (fixed-seed generator), no I/O. The node seeds it through the normal product
// and inventory commands, so the journal holds ordinary events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace agora::demo {

/// One product as POST /api/v1/products takes it, plus its initial stock.
struct demo_product {
  /// Unique, `[A-Za-z0-9._-]{1,64}`, e.g. "EL-0001".
  std::string sku;
  std::string name;
  std::string description;
  /// Price in US cents (> 0).
  int64_t price_cents = 0;
  /// Always "USD".
  std::string currency;
  /// One of the categories listed by demo_categories().
  std::string category;
  /// A JSON object of string values, e.g. {"brand":"Apple","color":"Black"}.
  std::string attributes_json;
  /// 0..500; a few products start sold out (0) or nearly so (1..3).
  int64_t initial_stock = 0;
};

/// The demo catalogue, always the same products in the same order.
std::vector<demo_product> demo_catalogue();

/// The category names used by demo_catalogue(), in display order.
std::vector<std::string> demo_categories();

} // namespace agora::demo
