// The product entity's journal payloads and snapshot format (JSON).
//
//   product.created / product.replaced:
//     {"sku","name","description","price_cents","currency","category",
//      "attributes":{...},"at":<µs>}
//   product.patched: only the changed fields among name, description,
//     price_cents, currency, category, attributes; plus "at"
//   product.retired: {"at":<µs>}
//
// The catalogue read model (persistence/projections) reads these by field name.
#include "actors/product/product.hpp"

#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"

namespace agora::product {

namespace {

/// The attributes object of a canonical text; `{}` if the text is not one
/// (decide() never lets such a text into an event).
json::object attributes_object(const std::string& text) {
  auto v = parse_json(text);
  if (v && v->is_object())
    return std::move(v->get_object());
  return {};
}

/// The attributes of a payload as canonical text, or nullopt.
std::optional<std::string> get_attributes(const json::object& obj) {
  auto* attrs = get_object(obj, "attributes");
  if (!attrs)
    return std::nullopt;
  return json::serialize(*attrs);
}

template <class Ev>
json::object encode_full(const Ev& e) {
  json::object o;
  o["sku"] = e.sku;
  o["name"] = e.name;
  o["description"] = e.description;
  o["price_cents"] = e.price_cents;
  o["currency"] = e.currency;
  o["category"] = e.category;
  o["attributes"] = attributes_object(e.attributes_json);
  o["at"] = e.at;
  return o;
}

template <class Ev>
std::optional<Ev> decode_full(const json::object& o) {
  auto sku = get_string(o, "sku");
  auto name = get_string(o, "name");
  auto description = get_string(o, "description");
  auto price = get_int(o, "price_cents");
  auto currency = get_string(o, "currency");
  auto category = get_string(o, "category");
  auto attributes = get_attributes(o);
  auto at = get_int(o, "at");
  if (!sku || !name || !description || !price || !currency || !category || !attributes || !at)
    return std::nullopt;
  return Ev{std::move(*sku),      std::move(*name),     std::move(*description), *price,
            std::move(*currency), std::move(*category), std::move(*attributes),  *at};
}

json::object encode_patched(const patched& e) {
  json::object o;
  if (e.name)
    o["name"] = *e.name;
  if (e.description)
    o["description"] = *e.description;
  if (e.price_cents)
    o["price_cents"] = *e.price_cents;
  if (e.currency)
    o["currency"] = *e.currency;
  if (e.category)
    o["category"] = *e.category;
  if (e.attributes_json)
    o["attributes"] = attributes_object(*e.attributes_json);
  o["at"] = e.at;
  return o;
}

/// Reads an optional field: absent is fine, present with the wrong type fails.
template <class T, class Getter>
bool read_optional(const json::object& o, std::string_view key, Getter get,
                   std::optional<T>& out) {
  if (!o.contains(key))
    return true;
  out = get(o, key);
  return out.has_value();
}

std::optional<patched> decode_patched(const json::object& o) {
  patched e;
  auto at = get_int(o, "at");
  if (!at)
    return std::nullopt;
  e.at = *at;
  bool ok = read_optional(o, "name", get_string, e.name) &&
            read_optional(o, "description", get_string, e.description) &&
            read_optional(o, "price_cents", get_int, e.price_cents) &&
            read_optional(o, "currency", get_string, e.currency) &&
            read_optional(o, "category", get_string, e.category);
  if (!ok)
    return std::nullopt;
  if (o.contains("attributes")) {
    e.attributes_json = get_attributes(o);
    if (!e.attributes_json)
      return std::nullopt;
  }
  return e;
}

} // namespace

std::string_view product_traits::event_type(const event& ev) {
  return std::visit(overloaded{
                      [](const created&) { return std::string_view{"product.created"}; },
                      [](const replaced&) { return std::string_view{"product.replaced"}; },
                      [](const patched&) { return std::string_view{"product.patched"}; },
                      [](const retired&) { return std::string_view{"product.retired"}; },
                    },
                    ev);
}

std::string product_traits::encode_event(const event& ev) {
  auto obj = std::visit(overloaded{
                          [](const created& e) { return encode_full(e); },
                          [](const replaced& e) { return encode_full(e); },
                          [](const patched& e) { return encode_patched(e); },
                          [](const retired& e) {
                            json::object o;
                            o["at"] = e.at;
                            return o;
                          },
                        },
                        ev);
  return json::serialize(obj);
}

std::optional<event> product_traits::decode_event(std::string_view type,
                                                  std::string_view text) {
  return decode_json_object<event>(text, [&](const json::object& o) -> std::optional<event> {
    if (type == "product.created") {
      if (auto e = decode_full<created>(o))
        return event{std::move(*e)};
    } else if (type == "product.replaced") {
      if (auto e = decode_full<replaced>(o))
        return event{std::move(*e)};
    } else if (type == "product.patched") {
      if (auto e = decode_patched(o))
        return event{std::move(*e)};
    } else if (type == "product.retired") {
      if (auto at = get_int(o, "at"))
        return event{retired{*at}};
    }
    return std::nullopt;
  });
}

std::string product_traits::encode_state(const state& st) {
  json::object o;
  o["exists"] = st.exists;
  o["retired"] = st.retired;
  o["sku"] = st.sku;
  o["name"] = st.name;
  o["description"] = st.description;
  o["price_cents"] = st.price_cents;
  o["currency"] = st.currency;
  o["category"] = st.category;
  o["attributes"] = attributes_object(st.attributes_json);
  o["version"] = st.version;
  o["created_at"] = st.created_at;
  o["updated_at"] = st.updated_at;
  return json::serialize(o);
}

std::optional<state> product_traits::decode_state(std::string_view text) {
  return decode_json_object<state>(text, [&](const json::object& o) -> std::optional<state> {
    auto exists = get_bool(o, "exists");
    auto is_retired = get_bool(o, "retired");
    auto sku = get_string(o, "sku");
    auto name = get_string(o, "name");
    auto description = get_string(o, "description");
    auto price = get_int(o, "price_cents");
    auto currency = get_string(o, "currency");
    auto category = get_string(o, "category");
    auto attributes = get_attributes(o);
    auto version = get_int(o, "version");
    auto created_at = get_int(o, "created_at");
    auto updated_at = get_int(o, "updated_at");
    if (!exists || !is_retired || !sku || !name || !description || !price || !currency ||
        !category || !attributes || !version || !created_at || !updated_at)
      return std::nullopt;
    state st;
    st.exists = *exists;
    st.retired = *is_retired;
    st.sku = std::move(*sku);
    st.name = std::move(*name);
    st.description = std::move(*description);
    st.price_cents = *price;
    st.currency = std::move(*currency);
    st.category = std::move(*category);
    st.attributes_json = std::move(*attributes);
    st.version = *version;
    st.created_at = *created_at;
    st.updated_at = *updated_at;
    return st;
  });
}

} // namespace agora::product
