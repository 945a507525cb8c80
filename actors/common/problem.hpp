// The one error vocabulary of Agora: every rejection a domain function makes,
// every failure a broker reports and every HTTP error body comes from here.
// The HTTP status of each code is decided once, in net/http/errors.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace agora {

/// Error codes of the API contract (API.md "Conventions") plus a few internal
/// ones that the HTTP edge maps to a contract code.
enum class errc : uint8_t {
  invalid_request = 1,
  unauthenticated,
  forbidden,
  not_found,
  method_not_allowed,
  conflict,
  invalid_transition,
  payload_too_large,
  unsupported_media_type,
  out_of_stock,
  insufficient_stock,
  payment_declined,
  payment_failed,
  cart_empty,
  product_unavailable,
  currency_mismatch,
  refund_exceeds_captured,
  rate_limited,
  unavailable,
  /// The journal rejected an append: another writer moved the stream.
  concurrency_conflict,
  /// A bug or an unexpected state; never caused by client input.
  internal,
};

/// The stable wire name of a code (`"out_of_stock"`).
std::string_view to_string(errc code) noexcept;

/// The inverse of to_string.
std::optional<errc> parse_errc(std::string_view text) noexcept;

/// An error with its human message and machine-readable details.
/// `details` is a JSON object text (`{}` when empty), built with json::object.
struct problem {
  errc code = errc::internal;
  std::string message;
  std::string details = "{}";

  friend bool operator==(const problem&, const problem&) = default;
};

/// Builds a problem; `details` must be a JSON object text.
inline problem make_problem(errc code, std::string message, std::string details = "{}") {
  return problem{code, std::move(message), std::move(details)};
}

class json_writer;

/// Writes `p` as `{"code","message","details"}`, `code` being the text its
/// code goes out as (an error body's wire code, an event's own code); details
/// that are not an object text are written as {}.
void write_problem(json_writer& w, std::string_view code, const problem& p);

/// A 400 `invalid_request` naming the offending field in `details.field`.
problem invalid_field(std::string_view field, std::string message);

/// Either a value or a problem (std::expected arrives with C++23).
template <class T>
class result {
public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(problem p) : v_(std::in_place_index<1>, std::move(p)) {}

  explicit operator bool() const noexcept { return v_.index() == 0; }
  bool has_value() const noexcept { return v_.index() == 0; }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const problem& error() const& { return std::get<1>(v_); }
  problem&& error() && { return std::get<1>(std::move(v_)); }

private:
  std::variant<T, problem> v_;
};

} // namespace agora
