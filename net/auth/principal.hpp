// Who is calling: the identity a valid bearer token proves. Light header (no
// JWT or crypto headers) so request handlers can include it freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agora::net::auth {

/// The two roles of the API contract.
enum class role : uint8_t {
  customer,
  admin,
};

/// `"customer"` / `"admin"`.
std::string_view to_string(role r) noexcept;

/// The inverse of to_string; nullopt for anything else.
std::optional<role> parse_role(std::string_view text) noexcept;

/// The authenticated caller, taken from a verified token's claims.
struct principal {
  /// `sub`: the customer id (admins are customers with the admin role).
  std::string customer_id;
  std::string email;
  auth::role role = auth::role::customer;
  /// `jti`: the token's own id, what logout revokes.
  std::string token_id;
  /// `exp` in microseconds since the epoch.
  int64_t expires_at_us = 0;

  bool is_admin() const noexcept { return role == auth::role::admin; }

  friend bool operator==(const principal&, const principal&) = default;
};

} // namespace agora::net::auth
