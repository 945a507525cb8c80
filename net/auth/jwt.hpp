// Bearer tokens: JWT HS256 issued at login and verified on every request that
// sends one. Claims: sub (customer id), email, role, iss, iat, exp, jti (a
// UUID, what logout revokes). cpp-jwt does the work; its headers (and
// nlohmann/json, OpenSSL) stay inside jwt.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "net/auth/principal.hpp"

namespace agora::net::auth {

/// A freshly signed token.
struct issued_token {
  std::string token;
  /// `exp` in microseconds since the epoch (whole seconds, as JWT stores it).
  int64_t expires_at_us = 0;
  /// The `jti` claim.
  std::string token_id;
};

/// Why a token was refused. Every reason is a 401 on the wire; the reason is
/// for logs and tests.
enum class token_error : uint8_t {
  /// Not three base64url parts, undecodable, or not JSON.
  malformed,
  /// The signature does not match (tampered token or another secret).
  bad_signature,
  /// `exp` is in the past.
  expired,
  /// The header names another algorithm than HS256 (including `none`).
  wrong_algorithm,
  /// `iss` is not ours.
  wrong_issuer,
  /// A claim is missing or of the wrong type (sub, role, exp, jti, ...).
  bad_claims,
};

/// `"expired"`, `"bad_signature"`, ...
std::string_view to_string(token_error e) noexcept;

/// Issues and verifies tokens with one secret and issuer. Immutable after
/// construction, so one instance is shared by every thread.
class token_service {
public:
  /// `secret` must not be empty (std::invalid_argument).
  token_service(std::string secret, std::string issuer);

  /// Signs a token for `customer_id` valid for `ttl` from now.
  issued_token issue(std::string_view customer_id, std::string_view email, role r,
                     std::chrono::seconds ttl) const;

  /// Checks the algorithm, signature, issuer, expiry and claims.
  std::variant<principal, token_error> verify(std::string_view token) const;

  const std::string& issuer() const noexcept { return issuer_; }

private:
  std::string secret_;
  std::string issuer_;
};

/// Extracts the token from an `Authorization: Bearer <jwt>` value (the scheme
/// is case-insensitive); empty when the value is not a bearer credential.
std::string_view bearer_token(std::string_view authorization) noexcept;

} // namespace agora::net::auth
