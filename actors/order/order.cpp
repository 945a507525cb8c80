// The order entity's decisions and event fold (pure: no I/O, no clock).
#include "actors/order/order.hpp"

#include <cmath>
#include <set>
#include <utility>

#include "actors/common/ids.hpp"
#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"
#include "actors/product/product.hpp"

namespace agora::order {

static_assert(runtime::entity_traits<order_traits>);

// -- status -------------------------------------------------------------------

std::string_view to_string(order_status x) noexcept {
  switch (x) {
    case order_status::pending: return "pending";
    case order_status::paid: return "paid";
    case order_status::shipped: return "shipped";
    case order_status::delivered: return "delivered";
    case order_status::cancelled: return "cancelled";
    case order_status::refunded: return "refunded";
  }
  return "pending";
}

std::optional<order_status> parse_order_status(std::string_view text) noexcept {
  for (auto x : {order_status::pending, order_status::paid, order_status::shipped,
                 order_status::delivered, order_status::cancelled, order_status::refunded})
    if (to_string(x) == text)
      return x;
  return std::nullopt;
}

bool can_transition(order_status from, order_status to) noexcept {
  switch (to) {
    case order_status::paid: return from == order_status::pending;
    case order_status::shipped: return from == order_status::paid;
    case order_status::delivered: return from == order_status::shipped;
    case order_status::cancelled:
      return from == order_status::pending || from == order_status::paid;
    case order_status::refunded: return from == order_status::paid;
    case order_status::pending: return false; // only placing an order makes it pending
  }
  return false;
}

bool state::applied(const std::string& key) const noexcept {
  return !key.empty() && applied_keys.contains(key);
}

namespace {

using events = std::vector<event>;

size_t code_points(std::string_view utf8) noexcept {
  size_t n = 0;
  for (char c : utf8)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) // not a continuation byte
      ++n;
  return n;
}

/// `items[<i>].<name>`; built by appending (GCC 12 warns falsely on operator+).
std::string item_field(size_t i, std::string_view name) {
  std::string field = "items[";
  field += std::to_string(i);
  field += "].";
  field += name;
  return field;
}

problem unknown_order(const runtime::context& ctx) {
  json::object details;
  details["order_id"] = ctx.entity_id;
  return make_problem(errc::not_found, "order " + ctx.entity_id + " not found",
                      json::serialize(details));
}

problem bad_transition(const state& st, order_status to, const runtime::context& ctx) {
  json::object details;
  details["order_id"] = ctx.entity_id;
  details["from"] = to_string(st.status);
  details["to"] = to_string(to);
  return make_problem(errc::invalid_transition,
                      "order " + ctx.entity_id + " cannot go from " +
                        std::string(to_string(st.status)) + " to " + std::string(to_string(to)),
                      json::serialize(details));
}

/// A string field of the address: present, 1-200 characters.
std::optional<problem> copy_address_text(const json::object& in, std::string_view name,
                                         json::object& out) {
  std::string field = "shipping_address.";
  field += name;
  auto text = get_string(in, name);
  if (!text)
    return invalid_field(field, field + " must be a string");
  auto n = code_points(*text);
  if (n < 1 || n > max_text_length)
    return invalid_field(field, field + " must be 1-200 characters");
  out[name] = std::move(*text);
  return std::nullopt;
}

/// An optional coordinate of the address: absent, null, or a number in
/// [-limit, limit], kept as given (an integer stays an integer).
std::optional<problem> copy_coordinate(const json::object& in, std::string_view name,
                                       double limit, json::object& out) {
  std::string field = "shipping_address.";
  field += name;
  auto* v = in.if_contains(name);
  if (!v || v->is_null())
    return std::nullopt;
  if (!v->is_number())
    return invalid_field(field, field + " must be a number");
  boost::system::error_code ec;
  auto x = v->to_number<double>(ec);
  if (ec || !std::isfinite(x) || x < -limit || x > limit)
    return invalid_field(field, field + " is out of range");
  out[name] = *v;
  return std::nullopt;
}

/// Validates the address and returns its canonical text: the known fields
/// only, in a fixed order (name, line1, city, postal_code, country, lat, lon).
result<std::string> canonical_address(const std::string& text) {
  auto parsed = parse_json(text);
  if (!parsed || !parsed->is_object())
    return invalid_field("shipping_address", "shipping_address must be a JSON object");
  const auto& in = parsed->get_object();
  json::object out;
  for (std::string_view name : {"name", "line1", "city", "postal_code", "country"})
    if (auto p = copy_address_text(in, name, out))
      return std::move(*p);
  if (auto p = copy_coordinate(in, "lat", 90.0, out))
    return std::move(*p);
  if (auto p = copy_coordinate(in, "lon", 180.0, out))
    return std::move(*p);
  return json::serialize(out);
}

/// The line checks of place: SKU, name, quantity, price and line total.
std::optional<problem> check_items(const std::vector<item>& items, int64_t& subtotal) {
  if (items.empty())
    return invalid_field("items", "an order needs at least one item");
  std::set<std::string_view> skus;
  subtotal = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& x = items[i];
    if (!is_valid_sku(x.sku))
      return invalid_field(item_field(i, "sku"), "sku must match [A-Za-z0-9._-]{1,64}");
    if (!skus.insert(x.sku).second)
      return invalid_field(item_field(i, "sku"), "SKU " + x.sku + " appears twice");
    auto n = code_points(x.name);
    if (n < 1 || n > max_text_length)
      return invalid_field(item_field(i, "name"), "name must be 1-200 characters");
    if (x.quantity < 1 || x.quantity > max_item_quantity)
      return invalid_field(item_field(i, "quantity"), "quantity must be an integer 1-10000");
    if (x.unit_price_cents < 0)
      return invalid_field(item_field(i, "unit_price_cents"),
                           "unit_price_cents must not be negative");
    int64_t line_total = 0;
    if (__builtin_mul_overflow(x.quantity, x.unit_price_cents, &line_total) ||
        line_total != x.line_total_cents)
      return invalid_field(item_field(i, "line_total_cents"),
                           "line_total_cents must be quantity × unit_price_cents");
    if (__builtin_add_overflow(subtotal, line_total, &subtotal))
      return invalid_field("subtotal_cents", "the subtotal overflows");
  }
  return std::nullopt;
}

result<events> decide_place(const state& st, const place& cmd, const runtime::context& ctx) {
  if (auto p = check_idempotency_key(cmd.idempotency_key))
    return std::move(*p);
  if (cmd.customer_id && cmd.customer_id->empty())
    return invalid_field("customer_id", "customer_id must not be empty");
  if (cmd.checkout_id.empty())
    return invalid_field("checkout_id", "checkout_id must not be empty");
  if (cmd.payment_id.empty())
    return invalid_field("payment_id", "payment_id must not be empty");
  if (!product::valid_currency(cmd.currency))
    return invalid_field("currency", "currency must be three upper-case letters (ISO 4217)");
  int64_t subtotal = 0;
  if (auto p = check_items(cmd.items, subtotal))
    return std::move(*p);
  if (cmd.subtotal_cents != subtotal)
    return invalid_field("subtotal_cents", "subtotal_cents must be the sum of the line totals");
  if (cmd.shipping_cents < 0)
    return invalid_field("shipping_cents", "shipping_cents must not be negative");
  int64_t total = 0;
  if (__builtin_add_overflow(subtotal, cmd.shipping_cents, &total) || cmd.total_cents != total)
    return invalid_field("total_cents", "total_cents must be subtotal_cents + shipping_cents");
  auto address = canonical_address(cmd.shipping_address);
  if (!address)
    return std::move(address).error();
  if (st.exists) {
    if (st.applied(cmd.idempotency_key))
      return events{};
    json::object details;
    details["order_id"] = ctx.entity_id;
    return make_problem(errc::conflict, "order " + ctx.entity_id + " already exists",
                        json::serialize(details));
  }
  placed e;
  e.order_id = ctx.entity_id;
  e.customer_id = cmd.customer_id;
  e.checkout_id = cmd.checkout_id;
  e.items = cmd.items;
  e.subtotal_cents = cmd.subtotal_cents;
  e.shipping_cents = cmd.shipping_cents;
  e.total_cents = cmd.total_cents;
  e.currency = cmd.currency;
  e.shipping_address = std::move(*address);
  e.payment_id = cmd.payment_id;
  e.at = ctx.now;
  e.key = cmd.idempotency_key;
  return events{std::move(e)};
}

/// The status commands once their own fields are valid: not_found, then a
/// repeated key (no events), then the status machine.
template <class MakeEvent>
result<events> transition(const state& st, const std::string& key, order_status to,
                          const runtime::context& ctx, MakeEvent make_event) {
  if (auto p = check_idempotency_key(key))
    return std::move(*p);
  if (!st.exists)
    return unknown_order(ctx);
  if (st.applied(key))
    return events{};
  if (!can_transition(st.status, to))
    return bad_transition(st, to, ctx);
  return events{make_event()};
}

std::optional<problem> check_shipping_text(std::string_view field, const std::string& text) {
  auto n = code_points(text);
  if (n < 1 || n > max_shipping_text_length)
    return invalid_field(field, std::string(field) + " must be 1-100 characters");
  return std::nullopt;
}

result<events> decide_ship(const state& st, const ship& cmd, const runtime::context& ctx) {
  if (auto p = check_shipping_text("carrier", cmd.carrier))
    return std::move(*p);
  if (auto p = check_shipping_text("tracking_number", cmd.tracking_number))
    return std::move(*p);
  return transition(st, cmd.idempotency_key, order_status::shipped, ctx, [&] {
    return event{shipped{cmd.carrier, cmd.tracking_number, ctx.now, cmd.idempotency_key}};
  });
}

result<events> decide_cancel(const state& st, const cancel& cmd, const runtime::context& ctx) {
  if (code_points(cmd.reason) > max_reason_length)
    return invalid_field("reason", "reason must be at most 200 characters");
  return transition(st, cmd.idempotency_key, order_status::cancelled, ctx, [&] {
    return event{cancelled{cmd.reason, st.status, ctx.now, cmd.idempotency_key}};
  });
}

result<events> decide_bind(const state& st, const bind_customer& cmd,
                           const runtime::context& ctx) {
  if (cmd.customer_id.empty())
    return invalid_field("customer_id", "customer_id must not be empty");
  if (auto p = check_idempotency_key(cmd.idempotency_key))
    return std::move(*p);
  if (!st.exists)
    return unknown_order(ctx);
  if (st.applied(cmd.idempotency_key) || st.customer_id == cmd.customer_id)
    return events{};
  if (st.customer_id) {
    json::object details;
    details["order_id"] = ctx.entity_id;
    details["customer_id"] = *st.customer_id;
    return make_problem(errc::conflict,
                        "order " + ctx.entity_id + " already belongs to another customer",
                        json::serialize(details));
  }
  return events{customer_bound{cmd.customer_id, ctx.now, cmd.idempotency_key}};
}

/// Records an applied key (the oldest are forgotten beyond max_applied_keys).
void remember(state& st, const std::string& key) {
  if (!key.empty())
    st.applied_keys.insert(key);
}

/// Enters `status` at `at`.
void enter(state& st, order_status status, timestamp_us at) {
  st.status = status;
  st.history.push_back(history_entry{status, at});
  st.updated_at = at;
}

} // namespace

// -- traits -------------------------------------------------------------------

result<std::vector<event>> order_traits::decide(const state& st, const command& cmd,
                                                const runtime::context& ctx) {
  return std::visit(
    overloaded{
      [&](const place& c) { return decide_place(st, c, ctx); },
      [&](const mark_paid& c) {
        return transition(st, c.idempotency_key, order_status::paid, ctx,
                          [&] { return event{paid{ctx.now, c.idempotency_key}}; });
      },
      [&](const ship& c) { return decide_ship(st, c, ctx); },
      [&](const deliver& c) {
        return transition(st, c.idempotency_key, order_status::delivered, ctx,
                          [&] { return event{delivered{ctx.now, c.idempotency_key}}; });
      },
      [&](const cancel& c) { return decide_cancel(st, c, ctx); },
      [&](const mark_refunded& c) {
        return transition(st, c.idempotency_key, order_status::refunded, ctx,
                          [&] { return event{refunded{ctx.now, c.idempotency_key}}; });
      },
      [&](const bind_customer& c) { return decide_bind(st, c, ctx); },
      [&](const get&) { return result<events>{events{}}; },
    },
    cmd);
}

state order_traits::apply_event(state st, const event& ev) {
  std::visit(overloaded{
               [&](const placed& e) {
                 st.exists = true;
                 st.order_id = e.order_id;
                 st.customer_id = e.customer_id;
                 st.checkout_id = e.checkout_id;
                 st.items = e.items;
                 st.subtotal_cents = e.subtotal_cents;
                 st.shipping_cents = e.shipping_cents;
                 st.total_cents = e.total_cents;
                 st.currency = e.currency;
                 st.shipping_address = e.shipping_address;
                 st.payment_id = e.payment_id;
                 st.created_at = e.at;
                 enter(st, order_status::pending, e.at);
                 remember(st, e.key);
               },
               [&](const paid& e) {
                 enter(st, order_status::paid, e.at);
                 remember(st, e.key);
               },
               [&](const shipped& e) {
                 st.carrier = e.carrier;
                 st.tracking_number = e.tracking_number;
                 enter(st, order_status::shipped, e.at);
                 remember(st, e.key);
               },
               [&](const delivered& e) {
                 enter(st, order_status::delivered, e.at);
                 remember(st, e.key);
               },
               [&](const cancelled& e) {
                 st.cancel_reason = e.reason;
                 enter(st, order_status::cancelled, e.at);
                 remember(st, e.key);
               },
               [&](const refunded& e) {
                 enter(st, order_status::refunded, e.at);
                 remember(st, e.key);
               },
               [&](const customer_bound& e) {
                 st.customer_id = e.customer_id;
                 st.updated_at = e.at;
                 remember(st, e.key);
               },
             },
             ev);
  ++st.version;
  return st;
}

} // namespace agora::order
