#include "net/auth/principal.hpp"

namespace agora::net::auth {

std::string_view to_string(role r) noexcept {
  switch (r) {
    case role::customer: return "customer";
    case role::admin: return "admin";
  }
  return "customer";
}

std::optional<role> parse_role(std::string_view text) noexcept {
  if (text == "customer")
    return role::customer;
  if (text == "admin")
    return role::admin;
  return std::nullopt;
}

} // namespace agora::net::auth
