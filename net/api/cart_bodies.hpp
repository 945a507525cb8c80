// The request bodies of the cart resource, parsed and validated exactly as
// the handlers in carts.cpp do it. Declared here, outside the handlers, so
// that bench/ measures the real parsers; defined in carts.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "actors/common/problem.hpp"

namespace agora::net::api {

/// The body of POST /carts/{id}/items.
struct add_item_body {
  std::string sku;
  int64_t quantity = 0;
};

/// `{sku, quantity}`: sku a string of [A-Za-z0-9._-]{1,64}, quantity an
/// integer 1-10,000. The first problem found is the 400 the handler sends
/// (malformed JSON, then sku, then quantity).
result<add_item_body> parse_add_item_body(std::string_view text);

/// `{shipping_address: {name, line1, city, postal_code, country, line2?, lat?,
/// lon?}, payment: {method: "card", token}}` → the canonical address text
/// (a JSON object) and the payment token.
result<std::pair<std::string, std::string>> checkout_body(const std::string& text);

} // namespace agora::net::api
