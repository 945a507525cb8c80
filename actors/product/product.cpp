// The product entity's decisions and event fold (pure: no I/O, no clock).
#include "actors/product/product.hpp"

#include <utility>

#include "actors/common/ids.hpp"
#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"

namespace agora::product {

static_assert(runtime::entity_traits<product_traits>);

// -- validation helpers -------------------------------------------------------

size_t text_length(std::string_view utf8) noexcept {
  size_t n = 0;
  for (char c : utf8)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) // not a continuation byte
      ++n;
  return n;
}

bool valid_currency(std::string_view code) noexcept {
  if (code.size() != 3)
    return false;
  for (char c : code)
    if (c < 'A' || c > 'Z')
      return false;
  return true;
}

std::optional<std::string> canonical_json_object(std::string_view text) {
  auto parsed = parse_json(text);
  if (!parsed || !parsed->is_object())
    return std::nullopt;
  return json::serialize(*parsed);
}

namespace {

using events = std::vector<event>;

// Each check returns the problem of the first invalid field, if any.

std::optional<problem> check_name(const std::string& name) {
  auto n = text_length(name);
  if (n < 1 || n > max_name_length)
    return invalid_field("name", "name must be 1-200 characters");
  return std::nullopt;
}

std::optional<problem> check_description(const std::string& description) {
  if (text_length(description) > max_description_length)
    return invalid_field("description", "description must be at most 5000 characters");
  return std::nullopt;
}

std::optional<problem> check_price(int64_t price_cents) {
  if (price_cents < 0 || price_cents > max_price_cents)
    return invalid_field("price_cents", "price_cents must be an integer 0-1000000000000");
  return std::nullopt;
}

std::optional<problem> check_currency(const std::string& currency) {
  if (!valid_currency(currency))
    return invalid_field("currency", "currency must be three upper-case letters (ISO 4217)");
  return std::nullopt;
}

std::optional<problem> check_category(const std::string& category) {
  auto n = text_length(category);
  if (n < 1 || n > max_category_length)
    return invalid_field("category", "category must be 1-100 characters");
  return std::nullopt;
}

/// Validates the attributes and stores their canonical text in `out`.
std::optional<problem> check_attributes(const std::string& text, std::string& out) {
  auto canonical = canonical_json_object(text);
  if (!canonical)
    return invalid_field("attributes", "attributes must be a JSON object");
  out = std::move(*canonical);
  return std::nullopt;
}

problem unknown_product(const state& st, const runtime::context& ctx) {
  return not_found(st.exists ? st.sku : ctx.entity_id);
}

/// The full field set shared by create and replace, validated in the order
/// the fields appear in the request body.
template <class Cmd>
std::optional<problem> check_full(const Cmd& cmd, std::string& attributes) {
  if (auto p = check_name(cmd.name))
    return p;
  if (auto p = check_description(cmd.description))
    return p;
  if (auto p = check_price(cmd.price_cents))
    return p;
  if (auto p = check_currency(cmd.currency))
    return p;
  if (auto p = check_category(cmd.category))
    return p;
  return check_attributes(cmd.attributes_json, attributes);
}

// -- one decide per command -----------------------------------------------------

result<events> decide_create(const state& st, const create& cmd, const runtime::context& ctx) {
  if (!is_valid_sku(cmd.sku))
    return invalid_field("sku", "sku must match [A-Za-z0-9._-]{1,64}");
  std::string attributes;
  if (auto p = check_full(cmd, attributes))
    return std::move(*p);
  if (st.exists) {
    json::object details;
    details["sku"] = cmd.sku;
    return make_problem(errc::conflict, "product " + cmd.sku + " already exists",
                        json::serialize(details));
  }
  return events{created{cmd.sku, cmd.name, cmd.description, cmd.price_cents, cmd.currency,
                        cmd.category, std::move(attributes), ctx.now}};
}

result<events> decide_replace(const state& st, const replace& cmd,
                              const runtime::context& ctx) {
  std::string attributes;
  if (auto p = check_full(cmd, attributes))
    return std::move(*p);
  if (!st.exists || st.retired)
    return unknown_product(st, ctx);
  return events{replaced{st.sku, cmd.name, cmd.description, cmd.price_cents, cmd.currency,
                         cmd.category, std::move(attributes), ctx.now}};
}

result<events> decide_patch(const state& st, const patch& cmd, const runtime::context& ctx) {
  if (cmd.name)
    if (auto p = check_name(*cmd.name))
      return std::move(*p);
  if (cmd.description)
    if (auto p = check_description(*cmd.description))
      return std::move(*p);
  if (cmd.price_cents)
    if (auto p = check_price(*cmd.price_cents))
      return std::move(*p);
  if (cmd.currency)
    if (auto p = check_currency(*cmd.currency))
      return std::move(*p);
  if (cmd.category)
    if (auto p = check_category(*cmd.category))
      return std::move(*p);
  std::optional<std::string> attributes;
  if (cmd.attributes_json) {
    attributes.emplace();
    if (auto p = check_attributes(*cmd.attributes_json, *attributes))
      return std::move(*p);
  }
  if (!st.exists || st.retired)
    return unknown_product(st, ctx);
  patched ev;
  bool changed = false;
  // Keeps a field in the event only when it differs from the state.
  auto take = [&changed](auto& out, const auto& requested, const auto& current) {
    if (requested && *requested != current) {
      out = *requested;
      changed = true;
    }
  };
  take(ev.name, cmd.name, st.name);
  take(ev.description, cmd.description, st.description);
  take(ev.price_cents, cmd.price_cents, st.price_cents);
  take(ev.currency, cmd.currency, st.currency);
  take(ev.category, cmd.category, st.category);
  take(ev.attributes_json, attributes, st.attributes_json);
  if (!changed)
    return events{};
  ev.at = ctx.now;
  return events{std::move(ev)};
}

result<events> decide_retire(const state& st, const runtime::context& ctx) {
  if (!st.exists || st.retired)
    return unknown_product(st, ctx);
  return events{retired{ctx.now}};
}

/// Copies the full field set of a created/replaced event into the state.
template <class Ev>
void assign_fields(state& st, const Ev& e) {
  st.sku = e.sku;
  st.name = e.name;
  st.description = e.description;
  st.price_cents = e.price_cents;
  st.currency = e.currency;
  st.category = e.category;
  st.attributes_json = e.attributes_json;
  st.updated_at = e.at;
}

} // namespace

problem not_found(std::string_view sku) {
  json::object details;
  details["sku"] = sku;
  return make_problem(errc::not_found, "product " + std::string(sku) + " not found",
                      json::serialize(details));
}

// -- traits -------------------------------------------------------------------

result<std::vector<event>> product_traits::decide(const state& st, const command& cmd,
                                                  const runtime::context& ctx) {
  return std::visit(overloaded{
                      [&](const create& c) { return decide_create(st, c, ctx); },
                      [&](const replace& c) { return decide_replace(st, c, ctx); },
                      [&](const patch& c) { return decide_patch(st, c, ctx); },
                      [&](const retire&) { return decide_retire(st, ctx); },
                      [&](const get&) { return result<events>{events{}}; },
                    },
                    cmd);
}

state product_traits::apply_event(state st, const event& ev) {
  std::visit(overloaded{
               [&](const created& e) {
                 assign_fields(st, e);
                 st.exists = true;
                 st.retired = false;
                 st.created_at = e.at;
               },
               [&](const replaced& e) { assign_fields(st, e); },
               [&](const patched& e) {
                 if (e.name)
                   st.name = *e.name;
                 if (e.description)
                   st.description = *e.description;
                 if (e.price_cents)
                   st.price_cents = *e.price_cents;
                 if (e.currency)
                   st.currency = *e.currency;
                 if (e.category)
                   st.category = *e.category;
                 if (e.attributes_json)
                   st.attributes_json = *e.attributes_json;
                 st.updated_at = e.at;
               },
               [&](const retired& e) {
                 st.retired = true;
                 st.updated_at = e.at;
               },
             },
             ev);
  ++st.version;
  return st;
}

} // namespace agora::product
