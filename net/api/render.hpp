// JSON renderings of entity states and read-model rows, exactly as API.md
// names the fields.
#pragma once

#include <string>

#include "actors/cart/cart.hpp"
#include "actors/catalogue/product_cache.hpp"
#include "actors/common/json.hpp"
#include "actors/customer/customer.hpp"
#include "actors/inventory/inventory.hpp"
#include "actors/order/order.hpp"
#include "actors/payment/payment.hpp"
#include "actors/product/product.hpp"
#include "persistence/projections/catalogue_queries.hpp"
#include "sagas/checkout.hpp"

namespace agora::net::api {

/// `{sku, name, description, price_cents, currency, category, attributes,
/// available, version, updated_at}`.
json::object render_product(const product::state& st, int64_t available);
json::object render_product_view(const persistence::catalogue::product_view& p);

/// `{sku, on_hand, reserved, available}`.
json::object render_levels(std::string_view sku, const inventory::levels& lv);

/// The cart body's JSON text, with current catalogue prices from `products`
/// (line by line, as product_cache::lookup_all answers). Written directly,
/// not through a json::value: every cart request answers with it.
std::string render_cart(const std::string& cart_id, const cart::state& st,
                        const catalogue::product_refs& products);

/// `{customer_id, email, name, role, created_at}`.
json::object render_me(const customer::state& st);

/// The order body of API.md "Orders" (plus carrier, tracking_number and
/// cancel_reason when set).
json::object render_order(const order::state& st);

/// The payment body of API.md "Payments".
json::object render_payment(const payment::state& st);

/// The checkout body of API.md "Checkout" (GET /checkouts/{id}).
json::object render_checkout(const checkout::state& st);

} // namespace agora::net::api
