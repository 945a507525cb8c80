// The cart entity's journal payloads and snapshot format (JSON).
//
//   cart.created:      {"customer_id":"..."|null,"currency":"USD"|"","at":<µs>}
//   cart.currency_set: {"currency":"EUR","at":<µs>}
//   cart.item_added:   {"sku":"...","quantity":n,"line_quantity":n,"at":<µs>}
//   cart.quantity_set: {"sku":"...","quantity":n,"at":<µs>}
//   cart.item_removed: {"sku":"...","at":<µs>}
//   cart.checkout_started: {"checkout_id","customer_id":"..."|null,"at":<µs>}
//   cart.checkout_aborted / cart.checked_out: {"checkout_id","at":<µs>}
#include "actors/cart/cart.hpp"

#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"

namespace agora::cart {

namespace {

std::optional<event> decode_created(const json::object& o) {
  created e;
  auto currency = get_string(o, "currency");
  auto at = get_int(o, "at");
  if (!read_nullable_string(o, "customer_id", e.customer_id) || !currency || !at)
    return std::nullopt;
  e.currency = std::move(*currency);
  e.at = *at;
  return event{std::move(e)};
}

std::optional<event> decode_currency_set(const json::object& o) {
  auto currency = get_string(o, "currency");
  auto at = get_int(o, "at");
  if (!currency || !at)
    return std::nullopt;
  return event{currency_set{std::move(*currency), *at}};
}

std::optional<event> decode_item_added(const json::object& o) {
  auto sku = get_string(o, "sku");
  auto quantity = get_int(o, "quantity");
  auto line_quantity = get_int(o, "line_quantity");
  auto at = get_int(o, "at");
  if (!sku || !quantity || !line_quantity || !at)
    return std::nullopt;
  return event{item_added{std::move(*sku), *quantity, *line_quantity, *at}};
}

std::optional<event> decode_quantity_set(const json::object& o) {
  auto sku = get_string(o, "sku");
  auto quantity = get_int(o, "quantity");
  auto at = get_int(o, "at");
  if (!sku || !quantity || !at)
    return std::nullopt;
  return event{quantity_set{std::move(*sku), *quantity, *at}};
}

std::optional<event> decode_item_removed(const json::object& o) {
  auto sku = get_string(o, "sku");
  auto at = get_int(o, "at");
  if (!sku || !at)
    return std::nullopt;
  return event{item_removed{std::move(*sku), *at}};
}

std::optional<event> decode_checkout_started(const json::object& o) {
  checkout_started e;
  auto id = get_string(o, "checkout_id");
  auto at = get_int(o, "at");
  if (!id || !at || !read_nullable_string(o, "customer_id", e.customer_id))
    return std::nullopt;
  e.checkout_id = std::move(*id);
  e.at = *at;
  return event{std::move(e)};
}

/// checkout_aborted, checked_out: {"checkout_id","at"}.
template <class Ev>
std::optional<event> decode_checkout_end(const json::object& o) {
  auto id = get_string(o, "checkout_id");
  auto at = get_int(o, "at");
  if (!id || !at)
    return std::nullopt;
  return event{Ev{std::move(*id), *at}};
}

} // namespace

std::string_view cart_traits::event_type(const event& ev) {
  return std::visit(overloaded{
                      [](const created&) { return std::string_view{"cart.created"}; },
                      [](const currency_set&) { return std::string_view{"cart.currency_set"}; },
                      [](const item_added&) { return std::string_view{"cart.item_added"}; },
                      [](const quantity_set&) { return std::string_view{"cart.quantity_set"}; },
                      [](const item_removed&) { return std::string_view{"cart.item_removed"}; },
                      [](const checkout_started&) {
                        return std::string_view{"cart.checkout_started"};
                      },
                      [](const checkout_aborted&) {
                        return std::string_view{"cart.checkout_aborted"};
                      },
                      [](const checked_out&) { return std::string_view{"cart.checked_out"}; },
                    },
                    ev);
}

std::string cart_traits::encode_event(const event& ev) {
  json::object o;
  std::visit(overloaded{
               [&](const created& e) {
                 o["customer_id"] = nullable_string(e.customer_id);
                 o["currency"] = e.currency;
                 o["at"] = e.at;
               },
               [&](const currency_set& e) {
                 o["currency"] = e.currency;
                 o["at"] = e.at;
               },
               [&](const item_added& e) {
                 o["sku"] = e.sku;
                 o["quantity"] = e.quantity;
                 o["line_quantity"] = e.line_quantity;
                 o["at"] = e.at;
               },
               [&](const quantity_set& e) {
                 o["sku"] = e.sku;
                 o["quantity"] = e.quantity;
                 o["at"] = e.at;
               },
               [&](const item_removed& e) {
                 o["sku"] = e.sku;
                 o["at"] = e.at;
               },
               [&](const checkout_started& e) {
                 o["checkout_id"] = e.checkout_id;
                 o["customer_id"] = nullable_string(e.customer_id);
                 o["at"] = e.at;
               },
               [&](const auto& e) { // checkout_aborted, checked_out
                 o["checkout_id"] = e.checkout_id;
                 o["at"] = e.at;
               },
             },
             ev);
  return json::serialize(o);
}

std::optional<event> cart_traits::decode_event(std::string_view type, std::string_view text) {
  return decode_json_object<event>(text, [&](const json::object& o) -> std::optional<event> {
    if (type == "cart.created")
      return decode_created(o);
    if (type == "cart.currency_set")
      return decode_currency_set(o);
    if (type == "cart.item_added")
      return decode_item_added(o);
    if (type == "cart.quantity_set")
      return decode_quantity_set(o);
    if (type == "cart.item_removed")
      return decode_item_removed(o);
    if (type == "cart.checkout_started")
      return decode_checkout_started(o);
    if (type == "cart.checkout_aborted")
      return decode_checkout_end<checkout_aborted>(o);
    if (type == "cart.checked_out")
      return decode_checkout_end<checked_out>(o);
    return std::nullopt;
  });
}

// Snapshot: {"exists","customer_id":str|null,"status","lines":[{"sku","quantity"}],
//            "currency","checkout_id"?,"aborted_checkout_id"?,"version","created_at",
//            "updated_at"}
std::string cart_traits::encode_state(const state& st) {
  json::object o;
  o["exists"] = st.exists;
  o["customer_id"] = nullable_string(st.customer_id);
  o["status"] = to_string(st.status);
  json::array lines;
  lines.reserve(st.lines.size());
  for (const auto& l : st.lines) {
    json::object item;
    item["sku"] = l.sku;
    item["quantity"] = l.quantity;
    lines.emplace_back(std::move(item));
  }
  o["lines"] = std::move(lines);
  o["currency"] = st.currency;
  if (!st.checkout_id.empty())
    o["checkout_id"] = st.checkout_id;
  if (!st.aborted_checkout_id.empty())
    o["aborted_checkout_id"] = st.aborted_checkout_id;
  o["version"] = st.version;
  o["created_at"] = st.created_at;
  o["updated_at"] = st.updated_at;
  return json::serialize(o);
}

std::optional<state> cart_traits::decode_state(std::string_view text) {
  return decode_json_object<state>(text, [&](const json::object& o) -> std::optional<state> {
    state st;
    auto exists = get_bool(o, "exists");
    auto status_text = get_string(o, "status");
    auto currency = get_string(o, "currency");
    auto version = get_int(o, "version");
    auto created_at = get_int(o, "created_at");
    auto updated_at = get_int(o, "updated_at");
    auto* lines = o.if_contains("lines");
    if (!exists || !status_text || !currency || !version || !created_at || !updated_at ||
        !lines || !lines->is_array() || !read_nullable_string(o, "customer_id", st.customer_id))
      return std::nullopt;
    auto status = parse_cart_status(*status_text);
    if (!status)
      return std::nullopt;
    st.exists = *exists;
    st.status = *status;
    st.currency = std::move(*currency);
    for (auto [key, field] : {std::pair{"checkout_id", &st.checkout_id},
                              std::pair{"aborted_checkout_id", &st.aborted_checkout_id}})
      if (auto* v = o.if_contains(key)) {
        if (!v->is_string())
          return std::nullopt;
        *field = v->get_string();
      }
    st.version = *version;
    st.created_at = *created_at;
    st.updated_at = *updated_at;
    for (const auto& v : lines->get_array()) {
      const auto* item = v.if_object();
      if (!item)
        return std::nullopt;
      auto sku = get_string(*item, "sku");
      auto quantity = get_int(*item, "quantity");
      if (!sku || !quantity || st.find(*sku))
        return std::nullopt; // malformed or duplicate line
      st.lines.push_back(line{std::move(*sku), *quantity});
    }
    return st;
  });
}

} // namespace agora::cart
