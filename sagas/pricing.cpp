#include "sagas/pricing.hpp"

#include "actors/common/json.hpp"
#include "actors/shipping/shipping.hpp"

namespace agora::sagas {

namespace {

problem about_sku(errc code, const std::string& sku, std::string message) {
  json::object details;
  details["sku"] = sku;
  return make_problem(code, std::move(message), json::serialize(details));
}

/// The shipping cost of `address`: by distance when it has coordinates,
/// else the flat rate.
int64_t shipping_cost(const std::string& address, const config::shipping_section& cfg) {
  auto v = parse_json(address);
  if (v && v->is_object()) {
    const auto& o = v->get_object();
    auto* lat = o.if_contains("lat");
    auto* lon = o.if_contains("lon");
    if (lat && lon && lat->is_number() && lon->is_number())
      if (auto q = shipping::quote_for(cfg, lat->to_number<double>(), lon->to_number<double>()))
        return q->cost_cents;
  }
  return cfg.flat_cents;
}

} // namespace

result<checkout::priced> price_cart(const cart::state& cart,
                                    const catalogue::product_refs& products,
                                    const std::string& address,
                                    const config::shipping_section& shipping) {
  if (cart.lines.empty())
    return make_problem(errc::cart_empty, "the cart has no items");
  checkout::priced out;
  out.customer_id = cart.customer_id;
  out.currency = cart.currency;
  for (size_t i = 0; i < cart.lines.size(); ++i) {
    const auto& l = cart.lines[i];
    const auto* p = i < products.size() ? products[i].get() : nullptr;
    if (!p || !p->listed)
      return about_sku(errc::product_unavailable, l.sku,
                       "product " + l.sku + " is no longer available");
    if (p->currency != cart.currency)
      return about_sku(errc::currency_mismatch, l.sku,
                       "product " + l.sku + " is priced in " + p->currency +
                         ", the cart in " + cart.currency);
    order::item item{l.sku, p->name, l.quantity, p->price_cents, 0};
    if (__builtin_mul_overflow(l.quantity, item.unit_price_cents, &item.line_total_cents) ||
        __builtin_add_overflow(out.subtotal_cents, item.line_total_cents, &out.subtotal_cents))
      return about_sku(errc::invalid_request, l.sku, "the cart's total is too large");
    out.items.push_back(std::move(item));
  }
  out.shipping_cents = shipping_cost(address, shipping);
  if (__builtin_add_overflow(out.subtotal_cents, out.shipping_cents, &out.total_cents))
    return make_problem(errc::invalid_request, "the cart's total is too large");
  return out;
}

} // namespace agora::sagas
