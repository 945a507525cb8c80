#include "net/api/render.hpp"

#include "actors/common/time.hpp"

namespace agora::net::api {

namespace {

json::value attributes_value(const std::string& text) {
  auto v = parse_json(text);
  if (v && v->is_object())
    return std::move(*v);
  return json::object{};
}

} // namespace

json::object render_product(const product::state& st, int64_t available) {
  json::object o;
  o["sku"] = st.sku;
  o["name"] = st.name;
  o["description"] = st.description;
  o["price_cents"] = st.price_cents;
  o["currency"] = st.currency;
  o["category"] = st.category;
  o["attributes"] = attributes_value(st.attributes_json);
  o["available"] = available;
  o["version"] = st.version;
  o["updated_at"] = format_rfc3339(st.updated_at);
  return o;
}

json::object render_product_view(const persistence::catalogue::product_view& p) {
  json::object o;
  o["sku"] = p.sku;
  o["name"] = p.name;
  o["description"] = p.description;
  o["price_cents"] = p.price_cents;
  o["currency"] = p.currency;
  o["category"] = p.category;
  o["attributes"] = attributes_value(p.attributes_json);
  o["available"] = p.available;
  o["version"] = p.version;
  o["updated_at"] = format_rfc3339(p.updated_at_us);
  return o;
}

json::object render_levels(std::string_view sku, const inventory::levels& lv) {
  json::object o;
  o["sku"] = sku;
  o["on_hand"] = lv.on_hand;
  o["reserved"] = lv.reserved;
  o["available"] = lv.on_hand - lv.reserved;
  return o;
}

json::object render_cart(const std::string& cart_id, const cart::state& st,
                         const std::unordered_map<std::string, catalogue::product_info>& products) {
  json::object o;
  o["cart_id"] = cart_id;
  if (st.customer_id)
    o["customer_id"] = *st.customer_id;
  else
    o["customer_id"] = nullptr;
  o["status"] = cart::to_string(st.status);
  json::array items;
  items.reserve(st.lines.size());
  int64_t subtotal = 0;
  for (auto& line : st.lines) {
    json::object item;
    auto i = products.find(line.sku);
    int64_t unit = i != products.end() ? i->second.price_cents : 0;
    item["sku"] = line.sku;
    item["name"] = i != products.end() ? i->second.name : std::string{};
    item["quantity"] = line.quantity;
    item["unit_price_cents"] = unit;
    item["line_total_cents"] = unit * line.quantity;
    subtotal += unit * line.quantity;
    items.push_back(std::move(item));
  }
  o["items"] = std::move(items);
  o["subtotal_cents"] = subtotal;
  o["currency"] = st.currency;
  o["version"] = st.version;
  o["updated_at"] = format_rfc3339(st.updated_at);
  return o;
}

json::object render_me(const customer::state& st) {
  json::object o;
  o["customer_id"] = st.customer_id;
  o["email"] = st.email;
  o["name"] = st.name;
  o["role"] = st.role;
  o["created_at"] = format_rfc3339(st.created_at);
  return o;
}

} // namespace agora::net::api
