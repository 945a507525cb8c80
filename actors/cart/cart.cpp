// The cart entity's decisions and event fold (pure: no I/O, no clock).
#include "actors/cart/cart.hpp"

#include <algorithm>
#include <utility>

#include "actors/common/ids.hpp"
#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"
#include "actors/product/product.hpp"

namespace agora::cart {

static_assert(runtime::entity_traits<cart_traits>);

std::string_view to_string(cart_status x) noexcept {
  switch (x) {
    case cart_status::open: return "open";
    case cart_status::checking_out: return "checking_out";
    case cart_status::checked_out: return "checked_out";
  }
  return "open";
}

std::optional<cart_status> parse_cart_status(std::string_view text) noexcept {
  if (text == "open")
    return cart_status::open;
  if (text == "checking_out")
    return cart_status::checking_out;
  if (text == "checked_out")
    return cart_status::checked_out;
  return std::nullopt;
}

const line* state::find(std::string_view sku) const noexcept {
  auto i = std::find_if(lines.begin(), lines.end(), [&](const line& l) { return l.sku == sku; });
  return i == lines.end() ? nullptr : &*i;
}

std::vector<std::string_view> state::skus() const {
  std::vector<std::string_view> out;
  out.reserve(lines.size());
  for (const auto& l : lines)
    out.push_back(l.sku);
  return out;
}

namespace {

using events = std::vector<event>;

problem quantity_problem(std::string message) {
  return invalid_field("quantity", std::move(message));
}

/// not_found for a cart never created; unauthenticated / forbidden when
/// `by` may not touch it; conflict for one not open.
std::optional<problem> check_open(const state& st, const access& by,
                                  const runtime::context& ctx) {
  json::object details;
  details["cart_id"] = ctx.entity_id;
  if (!st.exists)
    return make_problem(errc::not_found, "cart " + ctx.entity_id + " not found",
                        json::serialize(details));
  if (by.checked && st.customer_id && !by.admin) {
    if (!by.customer_id)
      return make_problem(errc::unauthenticated, "this cart belongs to a customer: log in");
    if (*by.customer_id != *st.customer_id)
      return make_problem(errc::forbidden, "this cart belongs to another customer");
  }
  if (st.status != cart_status::open) {
    details["status"] = to_string(st.status);
    return make_problem(errc::conflict,
                        "cart " + ctx.entity_id + " is " + std::string(to_string(st.status)) +
                          " and cannot be changed",
                        json::serialize(details));
  }
  return std::nullopt;
}

/// The checks shared by add_item and set_quantity once the line's resulting
/// quantity `target` (1-10,000) is known; `line_event` is the event to
/// persist if they pass, preceded by currency_set when the cart adopts the
/// product's currency.
result<events> place(const state& st, const std::string& sku, int64_t target, int64_t available,
                     const std::string& product_currency, event line_event,
                     const runtime::context& ctx) {
  if (!product::valid_currency(product_currency))
    return make_problem(errc::internal, "product " + sku + " has no valid currency");
  events out;
  if (product_currency != st.currency) {
    bool other_lines = std::any_of(st.lines.begin(), st.lines.end(),
                                   [&](const line& l) { return l.sku != sku; });
    if (other_lines) {
      json::object details;
      details["sku"] = sku;
      details["cart_currency"] = st.currency;
      details["product_currency"] = product_currency;
      return make_problem(errc::currency_mismatch,
                          "SKU " + sku + " is priced in " + product_currency +
                            ", the cart in " + st.currency,
                          json::serialize(details));
    }
    out.emplace_back(currency_set{product_currency, ctx.now});
  }
  if (target > available) {
    auto shown = std::max<int64_t>(available, 0);
    json::object details;
    details["sku"] = sku;
    details["requested"] = target;
    details["available"] = shown;
    return make_problem(errc::out_of_stock,
                        "SKU " + sku + ": requested " + std::to_string(target) +
                          ", available " + std::to_string(shown),
                        json::serialize(details));
  }
  out.push_back(std::move(line_event));
  return out;
}

result<events> decide_create(const state& st, const create& cmd, const runtime::context& ctx) {
  if (cmd.customer_id && cmd.customer_id->empty())
    return invalid_field("customer_id", "customer_id must not be empty");
  if (!cmd.currency.empty() && !product::valid_currency(cmd.currency))
    return invalid_field("currency", "currency must be three upper-case letters (ISO 4217)");
  if (st.exists) {
    json::object details;
    details["cart_id"] = ctx.entity_id;
    return make_problem(errc::conflict, "cart " + ctx.entity_id + " already exists",
                        json::serialize(details));
  }
  return events{created{cmd.customer_id, cmd.currency, ctx.now}};
}

result<events> decide_add(const state& st, const add_item& cmd, const runtime::context& ctx) {
  if (!is_valid_sku(cmd.sku))
    return invalid_field("sku", "sku must match [A-Za-z0-9._-]{1,64}");
  if (cmd.quantity < 1 || cmd.quantity > max_line_quantity)
    return quantity_problem("quantity must be an integer 1-10000");
  if (auto p = check_open(st, cmd.access, ctx))
    return std::move(*p);
  if (!cmd.product_listed)
    return product::not_found(cmd.sku);
  const line* current = st.find(cmd.sku);
  int64_t target = (current ? current->quantity : 0) + cmd.quantity;
  if (target > max_line_quantity)
    return quantity_problem("the line of " + cmd.sku + " would hold " + std::to_string(target) +
                            " units, more than 10000");
  return place(st, cmd.sku, target, cmd.available, cmd.product_currency,
               item_added{cmd.sku, cmd.quantity, target, ctx.now}, ctx);
}

result<events> decide_set(const state& st, const set_quantity& cmd,
                          const runtime::context& ctx) {
  if (!is_valid_sku(cmd.sku))
    return invalid_field("sku", "sku must match [A-Za-z0-9._-]{1,64}");
  if (cmd.quantity < 0 || cmd.quantity > max_line_quantity)
    return quantity_problem("quantity must be an integer 0-10000");
  if (auto p = check_open(st, cmd.access, ctx))
    return std::move(*p);
  const line* current = st.find(cmd.sku);
  if (cmd.quantity == 0)
    return current ? events{item_removed{cmd.sku, ctx.now}} : events{};
  if (!cmd.product_listed)
    return product::not_found(cmd.sku);
  if (current && current->quantity == cmd.quantity)
    return events{};
  return place(st, cmd.sku, cmd.quantity, cmd.available, cmd.product_currency,
               quantity_set{cmd.sku, cmd.quantity, ctx.now}, ctx);
}

result<events> decide_remove(const state& st, const remove_item& cmd,
                             const runtime::context& ctx) {
  if (auto p = check_open(st, cmd.access, ctx))
    return std::move(*p);
  if (!st.find(cmd.sku))
    return events{};
  return events{item_removed{cmd.sku, ctx.now}};
}

problem held_by_other(const state& st, const runtime::context& ctx) {
  json::object details;
  details["cart_id"] = ctx.entity_id;
  details["status"] = to_string(st.status);
  details["checkout_id"] = st.checkout_id;
  return make_problem(errc::conflict,
                      "cart " + ctx.entity_id + " is " + std::string(to_string(st.status)) +
                        " by another checkout",
                      json::serialize(details));
}

result<events> decide_begin(const state& st, const begin_checkout& cmd,
                            const runtime::context& ctx) {
  if (cmd.checkout_id.empty())
    return invalid_field("checkout_id", "checkout_id is required");
  if (st.exists && cmd.checkout_id == st.aborted_checkout_id) {
    json::object details;
    details["cart_id"] = ctx.entity_id;
    details["checkout_id"] = cmd.checkout_id;
    return make_problem(errc::conflict,
                        "checkout " + cmd.checkout_id + " gave cart " + ctx.entity_id + " up",
                        json::serialize(details));
  }
  if (auto bad = check_open(st, access{}, ctx)) {
    if (st.exists && st.checkout_id == cmd.checkout_id)
      return events{}; // a retried begin
    if (st.exists)
      return held_by_other(st, ctx);
    return *bad;
  }
  if (st.lines.empty()) {
    json::object details;
    details["cart_id"] = ctx.entity_id;
    return make_problem(errc::cart_empty, "cart " + ctx.entity_id + " has no items",
                        json::serialize(details));
  }
  std::optional<std::string> bind;
  if (cmd.customer_id && !st.customer_id)
    bind = cmd.customer_id;
  return events{checkout_started{cmd.checkout_id, std::move(bind), ctx.now}};
}

result<events> decide_abort(const state& st, const abort_checkout& cmd,
                            const runtime::context& ctx) {
  if (!st.exists || st.status != cart_status::checking_out || st.checkout_id != cmd.checkout_id)
    return events{};
  return events{checkout_aborted{cmd.checkout_id, ctx.now}};
}

result<events> decide_complete(const state& st, const complete_checkout& cmd,
                               const runtime::context& ctx) {
  if (st.exists && st.checkout_id == cmd.checkout_id) {
    if (st.status == cart_status::checked_out)
      return events{};
    if (st.status == cart_status::checking_out)
      return events{checked_out{cmd.checkout_id, ctx.now}};
  }
  if (!st.exists)
    return *check_open(st, access{}, ctx);
  return held_by_other(st, ctx);
}

/// Sets the line of `sku` to `quantity`, appending it when absent.
void set_line(state& st, const std::string& sku, int64_t quantity) {
  auto i = std::find_if(st.lines.begin(), st.lines.end(),
                        [&](const line& l) { return l.sku == sku; });
  if (i != st.lines.end())
    i->quantity = quantity;
  else
    st.lines.push_back(line{sku, quantity});
}

} // namespace

// -- traits -------------------------------------------------------------------

result<std::vector<event>> cart_traits::decide(const state& st, const command& cmd,
                                               const runtime::context& ctx) {
  return std::visit(overloaded{
                      [&](const create& c) { return decide_create(st, c, ctx); },
                      [&](const add_item& c) { return decide_add(st, c, ctx); },
                      [&](const set_quantity& c) { return decide_set(st, c, ctx); },
                      [&](const remove_item& c) { return decide_remove(st, c, ctx); },
                      [&](const begin_checkout& c) { return decide_begin(st, c, ctx); },
                      [&](const abort_checkout& c) { return decide_abort(st, c, ctx); },
                      [&](const complete_checkout& c) { return decide_complete(st, c, ctx); },
                      [&](const get&) { return result<events>{events{}}; },
                    },
                    cmd);
}

state cart_traits::apply_event(state st, const event& ev) {
  std::visit(overloaded{
               [&](const created& e) {
                 st.exists = true;
                 st.customer_id = e.customer_id;
                 st.status = cart_status::open;
                 st.currency = e.currency;
                 st.created_at = e.at;
                 st.updated_at = e.at;
               },
               [&](const currency_set& e) {
                 st.currency = e.currency;
                 st.updated_at = e.at;
               },
               [&](const item_added& e) {
                 set_line(st, e.sku, e.line_quantity);
                 st.updated_at = e.at;
               },
               [&](const quantity_set& e) {
                 set_line(st, e.sku, e.quantity);
                 st.updated_at = e.at;
               },
               [&](const item_removed& e) {
                 std::erase_if(st.lines, [&](const line& l) { return l.sku == e.sku; });
                 st.updated_at = e.at;
               },
               [&](const checkout_started& e) {
                 st.status = cart_status::checking_out;
                 st.checkout_id = e.checkout_id;
                 if (e.customer_id)
                   st.customer_id = e.customer_id;
                 st.updated_at = e.at;
               },
               [&](const checkout_aborted& e) {
                 st.status = cart_status::open;
                 st.checkout_id.clear();
                 st.aborted_checkout_id = e.checkout_id;
                 st.updated_at = e.at;
               },
               [&](const checked_out& e) {
                 st.status = cart_status::checked_out;
                 st.updated_at = e.at;
               },
             },
             ev);
  ++st.version;
  return st;
}

} // namespace agora::cart
