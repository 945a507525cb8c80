// The JSON forms of an order's lines and shipping address, shared by the
// order codec, the checkout saga's codec and the HTTP renderings.
#pragma once

#include <string>
#include <vector>

#include "actors/common/json.hpp"
#include "actors/order/order.hpp"

namespace agora {
class json_writer;
}

namespace agora::order {

/// The address as a JSON value: its object (decide() stores canonical
/// object text), null while empty, its raw text if it is somehow not an object.
json::value address_value(const std::string& text);

/// The same value written as text, the object spliced in as it is.
void write_address(json_writer& w, const std::string& text);

/// Reads `o["shipping_address"]` into canonical object text; `allow_empty`
/// admits null and raw text (snapshots), events need an object.
bool read_address(const json::object& o, bool allow_empty, std::string& out);

/// `[{"sku","name","quantity","unit_price_cents","line_total_cents"}]`.
json::array encode_items(const std::vector<item>& items);

/// Reads `o["items"]` as encode_items wrote it.
bool decode_items(const json::object& o, std::vector<item>& out);

} // namespace agora::order
