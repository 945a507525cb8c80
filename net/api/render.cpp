#include "net/api/render.hpp"

#include "actors/common/json_writer.hpp"
#include "actors/common/time.hpp"
#include "actors/order/order_json.hpp"

namespace agora::net::api {

namespace {

json::value attributes_value(const std::string& text) {
  auto v = parse_json(text);
  if (v && v->is_object())
    return std::move(*v);
  return json::object{};
}

json::value nullable_time(timestamp_us t) {
  return t == 0 ? json::value(nullptr) : json::value(format_rfc3339(t));
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

std::string render_cart(const std::string& cart_id, const cart::state& st,
                        const catalogue::product_refs& products) {
  // About 130 bytes per line and 200 around them.
  json_writer w{256 + 160 * st.lines.size()};
  w.begin_object()
    .member("cart_id", cart_id)
    .member("customer_id", st.customer_id)
    .member("status", cart::to_string(st.status));
  w.key("items").begin_array();
  int64_t subtotal = 0;
  for (size_t i = 0; i < st.lines.size(); ++i) {
    const auto& line = st.lines[i];
    const auto* p = i < products.size() ? products[i].get() : nullptr;
    int64_t unit = p ? p->price_cents : 0;
    w.begin_object()
      .member("sku", line.sku)
      .member("name", p ? std::string_view{p->name} : std::string_view{})
      .member("quantity", line.quantity)
      .member("unit_price_cents", unit)
      .member("line_total_cents", unit * line.quantity)
      .end_object();
    subtotal += unit * line.quantity;
  }
  w.end_array()
    .member("subtotal_cents", subtotal)
    .member("currency", st.currency)
    .member("version", st.version);
  w.key("updated_at").time(st.updated_at);
  return w.end_object().take();
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

json::object render_order(const order::state& st) {
  json::object o;
  o["order_id"] = st.order_id;
  o["customer_id"] = nullable_string(st.customer_id);
  o["checkout_id"] = st.checkout_id;
  o["status"] = order::to_string(st.status);
  o["items"] = order::encode_items(st.items);
  o["subtotal_cents"] = st.subtotal_cents;
  o["shipping_cents"] = st.shipping_cents;
  o["total_cents"] = st.total_cents;
  o["currency"] = st.currency;
  o["shipping_address"] = order::address_value(st.shipping_address);
  o["payment_id"] = st.payment_id;
  json::array history;
  for (const auto& h : st.history) {
    json::object e;
    e["status"] = order::to_string(h.status);
    e["at"] = format_rfc3339(h.at);
    history.emplace_back(std::move(e));
  }
  o["history"] = std::move(history);
  o["carrier"] = nullable_string(st.carrier);
  o["tracking_number"] = nullable_string(st.tracking_number);
  o["cancel_reason"] = nullable_string(st.cancel_reason);
  o["created_at"] = format_rfc3339(st.created_at);
  o["updated_at"] = format_rfc3339(st.updated_at);
  return o;
}

json::object render_payment(const payment::state& st) {
  json::object o;
  o["payment_id"] = st.payment_id;
  o["order_id"] = st.order_id;
  o["checkout_id"] = st.checkout_id;
  o["status"] = payment::to_string(st.status);
  o["amount_cents"] = st.amount_cents;
  o["captured_cents"] = st.captured_cents;
  o["refunded_cents"] = st.refunded_cents;
  o["currency"] = st.currency;
  json::array events;
  for (const auto& e : st.events) {
    json::object x;
    x["type"] = e.type;
    x["amount_cents"] = e.amount_cents;
    x["at"] = format_rfc3339(e.at);
    x["gateway_ref"] = e.gateway_ref;
    events.emplace_back(std::move(x));
  }
  o["events"] = std::move(events);
  o["failure_reason"] = nullable_string(st.failure_reason);
  o["created_at"] = format_rfc3339(st.created_at);
  o["updated_at"] = format_rfc3339(st.updated_at);
  return o;
}

json::object render_checkout(const checkout::state& st) {
  json::object o;
  o["checkout_id"] = st.checkout_id;
  o["cart_id"] = st.cart_id;
  o["order_id"] = st.order_id;
  o["payment_id"] = st.payment_id;
  o["customer_id"] = nullable_string(st.customer_id);
  o["status"] = checkout::to_string(st.status);
  if (st.status == checkout::saga_status::stuck)
    o["reason"] = nullable_string(st.stuck_reason);
  else if (st.status == checkout::saga_status::failed)
    o["reason"] = nullable_string(st.closed_reason ? st.closed_reason : st.reason);
  else
    o["reason"] = nullable_string(st.reason);
  o["phase"] = checkout::to_string(st.phase);
  json::array steps;
  for (size_t i = 0; i < checkout::step_count; ++i) {
    const auto& s = st.steps[i];
    json::object x;
    x["name"] = checkout::to_string(static_cast<checkout::step_name>(i));
    x["status"] = checkout::to_string(s.status);
    x["attempts"] = s.attempts;
    x["compensation_attempts"] = s.compensation_attempts;
    x["started_at"] = nullable_time(s.started_at);
    x["finished_at"] = nullable_time(s.finished_at);
    x["error"] = s.error ? json::value(s.error->message) : json::value(nullptr);
    x["error_code"] = s.error ? json::value(to_string(s.error->code)) : json::value(nullptr);
    steps.emplace_back(std::move(x));
  }
  o["steps"] = std::move(steps);
  if (st.priced)
    o["total_cents"] = st.priced->total_cents;
  o["started_at"] = format_rfc3339(st.started_at);
  o["finished_at"] = nullable_time(st.finished_at.value_or(0));
  o["updated_at"] = format_rfc3339(st.updated_at);
  return o;
}

} // namespace agora::net::api
