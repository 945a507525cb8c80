// Keyset cursors of the catalogue list: the last item's sort key and SKU,
// as base64url (URL-safe, no padding) of a small JSON object
// {"s": sort, "k": key, "id": sku}. Pure functions, unit-tested.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "actors/common/problem.hpp"

namespace agora::persistence::catalogue {

/// The sort orders of GET /api/v1/products.
enum class sort_order { relevance, price_asc, price_desc, name };

/// "relevance", "price_asc", "price_desc", "name".
std::string_view to_string(sort_order s) noexcept;

/// Parses a sort name; nullopt for anything else.
std::optional<sort_order> parse_sort(std::string_view text) noexcept;

/// The position after which the next page starts.
struct cursor_key {
  sort_order sort = sort_order::name;
  /// The sort key of the last item as text: the rank (a float text) for
  /// relevance, the price in cents for the price sorts, the name for name.
  std::string key;
  /// The SKU of the last item (tie-break).
  std::string sku;
};

/// Encodes a cursor.
std::string encode_cursor(const cursor_key& c);

/// Decodes and validates a cursor for `expected` sort order. A cursor that
/// is not base64url, not the JSON we write, of another sort order, or with
/// a malformed key is rejected with invalid_field("cursor", ...).
result<cursor_key> decode_cursor(std::string_view text, sort_order expected);

/// base64url without padding.
std::string base64url_encode(std::string_view bytes);

/// Strict base64url decoding (no padding, no other characters, no
/// non-zero trailing bits); nullopt when malformed.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace agora::persistence::catalogue
