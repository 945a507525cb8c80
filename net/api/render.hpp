// JSON renderings of entity states and read-model rows, exactly as API.md
// names the fields.
#pragma once

#include <string>
#include <unordered_map>

#include "actors/cart/cart.hpp"
#include "actors/catalogue/product_cache.hpp"
#include "actors/common/json.hpp"
#include "actors/customer/customer.hpp"
#include "actors/inventory/inventory.hpp"
#include "actors/product/product.hpp"
#include "persistence/projections/catalogue_queries.hpp"

namespace agora::net::api {

/// `{sku, name, description, price_cents, currency, category, attributes,
/// available, version, updated_at}`.
json::object render_product(const product::state& st, int64_t available);
json::object render_product_view(const persistence::catalogue::product_view& p);

/// `{sku, on_hand, reserved, available}`.
json::object render_levels(std::string_view sku, const inventory::levels& lv);

/// The cart body with current catalogue prices from `products`.
json::object render_cart(const std::string& cart_id, const cart::state& st,
                         const std::unordered_map<std::string, catalogue::product_info>& products);

/// `{customer_id, email, name, role, created_at}`.
json::object render_me(const customer::state& st);

} // namespace agora::net::api
