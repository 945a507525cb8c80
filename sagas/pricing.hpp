// price_cart's pure part: the cart's lines at the catalogue's current prices,
// the shipping cost for the address, and the totals the customer will pay.
#pragma once

#include <string>

#include "actors/cart/cart.hpp"
#include "actors/catalogue/product_cache.hpp"
#include "config/config.hpp"
#include "sagas/checkout.hpp"

namespace agora::sagas {

/// Prices `cart`. `products` holds what the catalogue knows of its lines'
/// SKUs, line by line (null: never created); `address` is the checkout's
/// shipping address (JSON object text, with optional numeric lat/lon).
/// Problems: cart_empty, product_unavailable {sku} for an unknown or retired
/// product, currency_mismatch {sku}.
result<checkout::priced> price_cart(const cart::state& cart,
                                    const catalogue::product_refs& products,
                                    const std::string& address,
                                    const config::shipping_section& shipping);

} // namespace agora::sagas
