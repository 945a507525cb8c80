// The order entity's journal payloads and snapshot format (JSON).
//
//   order.placed:         {"order_id","customer_id":str|null,"checkout_id",
//                          "items":[{"sku","name","quantity","unit_price_cents",
//                                    "line_total_cents"}],
//                          "subtotal_cents","shipping_cents","total_cents","currency",
//                          "shipping_address":{...},"payment_id","at"}
//   order.paid / order.delivered / order.refunded: {"at"}
//   order.shipped:        {"carrier","tracking_number","at"}
//   order.cancelled:      {"reason","from":<status>,"at"}
//   order.customer_bound: {"customer_id","at"}
//
// Every payload also has "key" (the command's idempotency key) when it had one.
// Times are µs since the epoch; money is integer minor units.
#include "actors/order/order.hpp"
#include "actors/order/order_json.hpp"

#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/json_writer.hpp"
#include "actors/common/overloaded.hpp"

namespace agora::order {

/// The address as a JSON value: its object (decide() stores canonical
/// object text), null while empty, its raw text if it is somehow not an object.
json::value address_value(const std::string& text) {
  if (text.empty())
    return json::value(nullptr);
  auto v = parse_json(text);
  if (v && v->is_object())
    return std::move(*v);
  return json::value(text);
}

void write_address(json_writer& w, const std::string& text) {
  if (text.empty())
    w.value(nullptr);
  else if (is_json_object(text))
    w.raw(text);
  else
    w.value(text);
}

/// The inverse of address_value; `allow_empty` admits null and raw text
/// (snapshots), events need an object.
bool read_address(const json::object& o, bool allow_empty, std::string& out) {
  auto* v = o.if_contains("shipping_address");
  if (!v)
    return false;
  if (v->is_object()) {
    out = json::serialize(*v);
    return true;
  }
  if (!allow_empty)
    return false;
  if (v->is_null()) {
    out.clear();
    return true;
  }
  if (v->is_string()) {
    out = v->get_string();
    return true;
  }
  return false;
}

json::array encode_items(const std::vector<item>& items) {
  json::array out;
  out.reserve(items.size());
  for (const auto& x : items) {
    json::object o;
    o["sku"] = x.sku;
    o["name"] = x.name;
    o["quantity"] = x.quantity;
    o["unit_price_cents"] = x.unit_price_cents;
    o["line_total_cents"] = x.line_total_cents;
    out.emplace_back(std::move(o));
  }
  return out;
}

bool decode_items(const json::object& o, std::vector<item>& out) {
  auto* v = o.if_contains("items");
  if (!v || !v->is_array())
    return false;
  out.clear();
  for (const auto& x : v->get_array()) {
    const auto* obj = x.if_object();
    if (!obj)
      return false;
    auto sku = get_string(*obj, "sku");
    auto name = get_string(*obj, "name");
    auto quantity = get_int(*obj, "quantity");
    auto unit = get_int(*obj, "unit_price_cents");
    auto line = get_int(*obj, "line_total_cents");
    if (!sku || !name || !quantity || !unit || !line)
      return false;
    out.push_back(item{std::move(*sku), std::move(*name), *quantity, *unit, *line});
  }
  return true;
}

namespace {

std::optional<event> decode_placed(const json::object& o) {
  placed e;
  auto order_id = get_string(o, "order_id");
  auto checkout_id = get_string(o, "checkout_id");
  auto subtotal = get_int(o, "subtotal_cents");
  auto shipping = get_int(o, "shipping_cents");
  auto total = get_int(o, "total_cents");
  auto currency = get_string(o, "currency");
  auto payment_id = get_string(o, "payment_id");
  auto at = get_int(o, "at");
  if (!order_id || !checkout_id || !subtotal || !shipping || !total || !currency ||
      !payment_id || !at || !read_nullable_string(o, "customer_id", e.customer_id) ||
      !decode_items(o, e.items) || !read_address(o, false, e.shipping_address) ||
      !read_idempotency_key(o, e.key))
    return std::nullopt;
  e.order_id = std::move(*order_id);
  e.checkout_id = std::move(*checkout_id);
  e.subtotal_cents = *subtotal;
  e.shipping_cents = *shipping;
  e.total_cents = *total;
  e.currency = std::move(*currency);
  e.payment_id = std::move(*payment_id);
  e.at = *at;
  return event{std::move(e)};
}

/// paid, delivered, refunded: {"at","key"?}.
template <class Ev>
std::optional<event> decode_plain(const json::object& o) {
  Ev e;
  auto at = get_int(o, "at");
  if (!at || !read_idempotency_key(o, e.key))
    return std::nullopt;
  e.at = *at;
  return event{std::move(e)};
}

std::optional<event> decode_shipped(const json::object& o) {
  shipped e;
  auto carrier = get_string(o, "carrier");
  auto tracking = get_string(o, "tracking_number");
  auto at = get_int(o, "at");
  if (!carrier || !tracking || !at || !read_idempotency_key(o, e.key))
    return std::nullopt;
  e.carrier = std::move(*carrier);
  e.tracking_number = std::move(*tracking);
  e.at = *at;
  return event{std::move(e)};
}

std::optional<event> decode_cancelled(const json::object& o) {
  cancelled e;
  auto reason = get_string(o, "reason");
  auto from_text = get_string(o, "from");
  auto at = get_int(o, "at");
  if (!reason || !from_text || !at || !read_idempotency_key(o, e.key))
    return std::nullopt;
  auto from = parse_order_status(*from_text);
  if (!from)
    return std::nullopt;
  e.reason = std::move(*reason);
  e.from = *from;
  e.at = *at;
  return event{std::move(e)};
}

std::optional<event> decode_customer_bound(const json::object& o) {
  customer_bound e;
  auto customer_id = get_string(o, "customer_id");
  auto at = get_int(o, "at");
  if (!customer_id || !at || !read_idempotency_key(o, e.key))
    return std::nullopt;
  e.customer_id = std::move(*customer_id);
  e.at = *at;
  return event{std::move(e)};
}

} // namespace

std::string_view order_traits::event_type(const event& ev) {
  return std::visit(
    overloaded{
      [](const placed&) { return std::string_view{"order.placed"}; },
      [](const paid&) { return std::string_view{"order.paid"}; },
      [](const shipped&) { return std::string_view{"order.shipped"}; },
      [](const delivered&) { return std::string_view{"order.delivered"}; },
      [](const cancelled&) { return std::string_view{"order.cancelled"}; },
      [](const refunded&) { return std::string_view{"order.refunded"}; },
      [](const customer_bound&) { return std::string_view{"order.customer_bound"}; },
    },
    ev);
}

std::string order_traits::encode_event(const event& ev) {
  json::object o;
  std::visit(overloaded{
               [&](const placed& e) {
                 o["order_id"] = e.order_id;
                 o["customer_id"] = nullable_string(e.customer_id);
                 o["checkout_id"] = e.checkout_id;
                 o["items"] = encode_items(e.items);
                 o["subtotal_cents"] = e.subtotal_cents;
                 o["shipping_cents"] = e.shipping_cents;
                 o["total_cents"] = e.total_cents;
                 o["currency"] = e.currency;
                 o["shipping_address"] = address_value(e.shipping_address);
                 o["payment_id"] = e.payment_id;
                 o["at"] = e.at;
                 write_idempotency_key(o, e.key);
               },
               [&](const paid& e) {
                 o["at"] = e.at;
                 write_idempotency_key(o, e.key);
               },
               [&](const shipped& e) {
                 o["carrier"] = e.carrier;
                 o["tracking_number"] = e.tracking_number;
                 o["at"] = e.at;
                 write_idempotency_key(o, e.key);
               },
               [&](const delivered& e) {
                 o["at"] = e.at;
                 write_idempotency_key(o, e.key);
               },
               [&](const cancelled& e) {
                 o["reason"] = e.reason;
                 o["from"] = to_string(e.from);
                 o["at"] = e.at;
                 write_idempotency_key(o, e.key);
               },
               [&](const refunded& e) {
                 o["at"] = e.at;
                 write_idempotency_key(o, e.key);
               },
               [&](const customer_bound& e) {
                 o["customer_id"] = e.customer_id;
                 o["at"] = e.at;
                 write_idempotency_key(o, e.key);
               },
             },
             ev);
  return json::serialize(o);
}

std::optional<event> order_traits::decode_event(std::string_view type, std::string_view text) {
  return decode_json_object<event>(text, [&](const json::object& o) -> std::optional<event> {
    if (type == "order.placed")
      return decode_placed(o);
    if (type == "order.paid")
      return decode_plain<paid>(o);
    if (type == "order.shipped")
      return decode_shipped(o);
    if (type == "order.delivered")
      return decode_plain<delivered>(o);
    if (type == "order.cancelled")
      return decode_cancelled(o);
    if (type == "order.refunded")
      return decode_plain<refunded>(o);
    if (type == "order.customer_bound")
      return decode_customer_bound(o);
    return std::nullopt;
  });
}

// Snapshot: {"exists","order_id","customer_id":str|null,"checkout_id","status",
//            "items":[...],"subtotal_cents","shipping_cents","total_cents","currency",
//            "shipping_address":{...}|null,"payment_id","carrier":str|null,
//            "tracking_number":str|null,"cancel_reason":str|null,
//            "history":[{"status","at"}],"created_at","updated_at","version",
//            "applied_keys":[keys, oldest first]}
std::string order_traits::encode_state(const state& st) {
  json::object o;
  o["exists"] = st.exists;
  o["order_id"] = st.order_id;
  o["customer_id"] = nullable_string(st.customer_id);
  o["checkout_id"] = st.checkout_id;
  o["status"] = to_string(st.status);
  o["items"] = encode_items(st.items);
  o["subtotal_cents"] = st.subtotal_cents;
  o["shipping_cents"] = st.shipping_cents;
  o["total_cents"] = st.total_cents;
  o["currency"] = st.currency;
  o["shipping_address"] = address_value(st.shipping_address);
  o["payment_id"] = st.payment_id;
  o["carrier"] = nullable_string(st.carrier);
  o["tracking_number"] = nullable_string(st.tracking_number);
  o["cancel_reason"] = nullable_string(st.cancel_reason);
  json::array history;
  history.reserve(st.history.size());
  for (const auto& h : st.history) {
    json::object entry;
    entry["status"] = to_string(h.status);
    entry["at"] = h.at;
    history.emplace_back(std::move(entry));
  }
  o["history"] = std::move(history);
  o["created_at"] = st.created_at;
  o["updated_at"] = st.updated_at;
  o["version"] = st.version;
  o["applied_keys"] = st.applied_keys.to_json();
  return json::serialize(o);
}

std::optional<state> order_traits::decode_state(std::string_view text) {
  return decode_json_object<state>(text, [&](const json::object& o) -> std::optional<state> {
    state st;
    auto exists = get_bool(o, "exists");
    auto order_id = get_string(o, "order_id");
    auto checkout_id = get_string(o, "checkout_id");
    auto status_text = get_string(o, "status");
    auto subtotal = get_int(o, "subtotal_cents");
    auto shipping = get_int(o, "shipping_cents");
    auto total = get_int(o, "total_cents");
    auto currency = get_string(o, "currency");
    auto payment_id = get_string(o, "payment_id");
    auto created_at = get_int(o, "created_at");
    auto updated_at = get_int(o, "updated_at");
    auto version = get_int(o, "version");
    auto* history = o.if_contains("history");
    auto* keys = o.if_contains("applied_keys");
    if (!exists || !order_id || !checkout_id || !status_text || !subtotal || !shipping ||
        !total || !currency || !payment_id || !created_at || !updated_at || !version ||
        !history || !history->is_array() || !keys ||
        !read_nullable_string(o, "customer_id", st.customer_id) ||
        !read_nullable_string(o, "carrier", st.carrier) ||
        !read_nullable_string(o, "tracking_number", st.tracking_number) ||
        !read_nullable_string(o, "cancel_reason", st.cancel_reason) || !decode_items(o, st.items) ||
        !read_address(o, true, st.shipping_address))
      return std::nullopt;
    auto status = parse_order_status(*status_text);
    if (!status)
      return std::nullopt;
    st.exists = *exists;
    st.order_id = std::move(*order_id);
    st.checkout_id = std::move(*checkout_id);
    st.status = *status;
    st.subtotal_cents = *subtotal;
    st.shipping_cents = *shipping;
    st.total_cents = *total;
    st.currency = std::move(*currency);
    st.payment_id = std::move(*payment_id);
    st.created_at = *created_at;
    st.updated_at = *updated_at;
    st.version = *version;
    for (const auto& v : history->get_array()) {
      const auto* entry = v.if_object();
      if (!entry)
        return std::nullopt;
      auto entry_status = get_string(*entry, "status");
      auto at = get_int(*entry, "at");
      if (!entry_status || !at)
        return std::nullopt;
      auto s = parse_order_status(*entry_status);
      if (!s)
        return std::nullopt;
      st.history.push_back(history_entry{*s, *at});
    }
    if (!decltype(st.applied_keys)::from_json(*keys, st.applied_keys))
      return std::nullopt;
    return st;
  });
}

} // namespace agora::order
