// The customer entity's decisions, event fold and input helpers (pure).
#include "actors/customer/customer.hpp"

#include <algorithm>
#include <utility>

#include "actors/common/json.hpp"
#include "actors/common/overloaded.hpp"

namespace agora::customer {

static_assert(runtime::entity_traits<customer_traits>);

namespace {

using events = std::vector<event>;

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

size_t code_points(std::string_view utf8) noexcept {
  size_t n = 0;
  for (char c : utf8)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) // not a continuation byte
      ++n;
  return n;
}

result<events> decide_register(const state& st, const register_customer& cmd,
                               const runtime::context& ctx) {
  if (cmd.customer_id.empty())
    return invalid_field("customer_id", "customer_id must not be empty");
  auto email = normalize_email(cmd.email);
  if (!email)
    return invalid_field("email", "email must be a valid e-mail address");
  auto name_length = code_points(cmd.name);
  if (name_length < 1 || name_length > max_name_length)
    return invalid_field("name", "name must be 1-200 characters");
  if (cmd.password_hash.empty())
    return invalid_field("password_hash", "password_hash must not be empty");
  if (cmd.role != role_customer && cmd.role != role_admin)
    return invalid_field("role", "role must be \"customer\" or \"admin\"");
  if (st.exists) {
    json::object details;
    details["email"] = *email;
    return make_problem(errc::conflict, "an account for " + *email + " already exists",
                        json::serialize(details));
  }
  return events{registered{cmd.customer_id, std::move(*email), cmd.name, cmd.password_hash,
                           cmd.role, ctx.now}};
}

} // namespace

// -- helpers ------------------------------------------------------------------

std::optional<std::string> normalize_email(std::string_view text) {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  if (text.empty() || text.size() > max_email_length)
    return std::nullopt;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) // whitespace and control characters
      return std::nullopt;
  }
  auto at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos)
    return std::nullopt;
  auto local = text.substr(0, at);
  auto domain = text.substr(at + 1);
  if (local.empty() || domain.size() < 3)
    return std::nullopt;
  auto dot = domain.find('.', 1);
  if (dot == std::string_view::npos || dot == domain.size() - 1 || domain.back() == '.')
    return std::nullopt;
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

bool valid_password(std::string_view password) noexcept {
  return password.size() <= max_password_bytes && code_points(password) >= min_password_length;
}

// -- traits -------------------------------------------------------------------

result<std::vector<event>> customer_traits::decide(const state& st, const command& cmd,
                                                   const runtime::context& ctx) {
  return std::visit(overloaded{
                      [&](const register_customer& c) { return decide_register(st, c, ctx); },
                      [&](const get&) { return result<events>{events{}}; },
                    },
                    cmd);
}

state customer_traits::apply_event(state st, const event& ev) {
  std::visit(overloaded{
               [&](const registered& e) {
                 st.exists = true;
                 st.customer_id = e.customer_id;
                 st.email = e.email;
                 st.name = e.name;
                 st.password_hash = e.password_hash;
                 st.role = e.role;
                 st.created_at = e.at;
                 st.updated_at = e.at;
               },
             },
             ev);
  ++st.version;
  return st;
}

} // namespace agora::customer
