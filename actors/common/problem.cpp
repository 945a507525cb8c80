#include "actors/common/problem.hpp"

#include "actors/common/json.hpp"
#include "actors/common/json_writer.hpp"

namespace agora {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_request: return "invalid_request";
    case errc::unauthenticated: return "unauthenticated";
    case errc::forbidden: return "forbidden";
    case errc::not_found: return "not_found";
    case errc::method_not_allowed: return "method_not_allowed";
    case errc::conflict: return "conflict";
    case errc::invalid_transition: return "invalid_transition";
    case errc::payload_too_large: return "payload_too_large";
    case errc::unsupported_media_type: return "unsupported_media_type";
    case errc::out_of_stock: return "out_of_stock";
    case errc::insufficient_stock: return "insufficient_stock";
    case errc::payment_declined: return "payment_declined";
    case errc::payment_failed: return "payment_failed";
    case errc::cart_empty: return "cart_empty";
    case errc::product_unavailable: return "product_unavailable";
    case errc::currency_mismatch: return "currency_mismatch";
    case errc::refund_exceeds_captured: return "refund_exceeds_captured";
    case errc::rate_limited: return "rate_limited";
    case errc::unavailable: return "unavailable";
    case errc::concurrency_conflict: return "concurrency_conflict";
    case errc::internal: return "internal";
  }
  return "internal";
}

std::optional<errc> parse_errc(std::string_view text) noexcept {
  for (auto i = static_cast<int>(errc::invalid_request); i <= static_cast<int>(errc::internal); ++i)
    if (to_string(static_cast<errc>(i)) == text)
      return static_cast<errc>(i);
  return std::nullopt;
}

problem invalid_field(std::string_view field, std::string message) {
  json::object details;
  details["field"] = field;
  return problem{errc::invalid_request, std::move(message), json::serialize(details)};
}

void write_problem(json_writer& w, std::string_view code, const problem& p) {
  w.begin_object()
    .member("code", code)
    .member("message", p.message)
    .key("details")
    .object_text(p.details)
    .end_object();
}

} // namespace agora
