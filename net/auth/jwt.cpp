#include "net/auth/jwt.hpp"

#include <stdexcept>
#include <strings.h>

#include <jwt/jwt.hpp>

#include "actors/common/ids.hpp"

namespace agora::net::auth {

std::string_view to_string(token_error e) noexcept {
  switch (e) {
    case token_error::malformed: return "malformed";
    case token_error::bad_signature: return "bad_signature";
    case token_error::expired: return "expired";
    case token_error::wrong_algorithm: return "wrong_algorithm";
    case token_error::wrong_issuer: return "wrong_issuer";
    case token_error::bad_claims: return "bad_claims";
  }
  return "malformed";
}

token_service::token_service(std::string secret, std::string issuer)
  : secret_(std::move(secret)), issuer_(std::move(issuer)) {
  if (secret_.empty())
    throw std::invalid_argument("the JWT secret must not be empty");
}

issued_token token_service::issue(std::string_view customer_id, std::string_view email, role r,
                                  std::chrono::seconds ttl) const {
  using namespace jwt::params;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  auto exp = static_cast<uint64_t>(now + ttl.count());
  issued_token out;
  out.token_id = new_uuid();
  out.expires_at_us = static_cast<int64_t>(exp) * 1'000'000;
  jwt::jwt_object obj{algorithm("HS256"), secret(secret_)};
  obj.add_claim("sub", std::string(customer_id))
    .add_claim("email", std::string(email))
    .add_claim("role", std::string(to_string(r)))
    .add_claim("iss", issuer_)
    .add_claim("iat", static_cast<uint64_t>(now))
    .add_claim("exp", exp)
    .add_claim("jti", out.token_id);
  // Signing HMAC-SHA256 with a non-empty key cannot fail short of memory
  // exhaustion, which the throwing overload reports.
  out.token = obj.signature();
  return out;
}

namespace {

token_error classify(const std::error_code& ec) {
  if (ec == jwt::VerificationErrc::TokenExpired)
    return token_error::expired;
  if (ec == jwt::VerificationErrc::InvalidSignature)
    return token_error::bad_signature;
  if (ec == jwt::VerificationErrc::InvalidAlgorithm
      || ec == jwt::AlgorithmErrc::NoneAlgorithmUsed)
    return token_error::wrong_algorithm;
  if (ec == jwt::VerificationErrc::InvalidIssuer)
    return token_error::wrong_issuer;
  if (ec == jwt::VerificationErrc::TypeConversionError || ec == jwt::DecodeErrc::DuplClaims)
    return token_error::bad_claims;
  return token_error::malformed;
}

} // namespace

std::variant<principal, token_error> token_service::verify(std::string_view token) const {
  using jwt::params::algorithms;
  using jwt::params::secret;
  if (token.empty() || token.size() > 8192)
    return token_error::malformed;
  try {
    std::error_code ec;
    // Qualified: `issuer` and `verify` are also members of this class.
    auto obj = jwt::decode(jwt::string_view{token.data(), token.size()}, algorithms({"HS256"}),
                           ec, secret(secret_), jwt::params::issuer(issuer_),
                           jwt::params::verify(true));
    if (ec)
      return classify(ec);
    const auto& claims = obj.payload().create_json_obj();
    auto str = [&](const char* key) -> const std::string* {
      auto i = claims.find(key);
      if (i == claims.end() || !i->is_string())
        return nullptr;
      return i->template get_ptr<const std::string*>();
    };
    auto* sub = str("sub");
    auto* email = str("email");
    auto* role_text = str("role");
    auto* jti = str("jti");
    auto exp = claims.find("exp");
    // cpp-jwt only checks `exp` when present: ours always carry it.
    if (sub == nullptr || sub->empty() || email == nullptr || role_text == nullptr
        || jti == nullptr || exp == claims.end() || !exp->is_number_unsigned())
      return token_error::bad_claims;
    auto r = parse_role(*role_text);
    if (!r)
      return token_error::bad_claims;
    principal p;
    p.customer_id = *sub;
    p.email = *email;
    p.role = *r;
    p.token_id = *jti;
    p.expires_at_us = static_cast<int64_t>(exp->get<uint64_t>()) * 1'000'000;
    return p;
  } catch (const std::exception&) {
    // cpp-jwt still throws from its JSON and base64 layers on some garbage.
    return token_error::malformed;
  }
}

std::string_view bearer_token(std::string_view authorization) noexcept {
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size()
      || ::strncasecmp(authorization.data(), scheme.data(), scheme.size()) != 0
      || authorization[scheme.size()] != ' ')
    return {};
  auto rest = authorization.substr(scheme.size());
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ')
    rest.remove_suffix(1);
  return rest;
}

} // namespace agora::net::auth
