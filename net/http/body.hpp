// Helpers for the body and query checks every handler repeats: parse a JSON
// object, read typed fields with range checks, read pagination parameters.
// Each failure is the contract's 400 `invalid_request` with `details.field`
// naming the culprit, so handlers only write `if (!x) return res.error(x.error());`.
//
// Parsing uses Boost.JSON (agora::json): handlers keep sub-objects (product
// attributes, shipping addresses) and hand them on to actors, which needs an
// owning value; simdjson's DOM ties its values to a parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/common/json.hpp"
#include "actors/common/problem.hpp"
#include "net/http/handler.hpp"

namespace agora::net::http {

/// Parses a request body that must be a JSON object. An empty (or blank)
/// body is an empty object, so `{}`-bodied POSTs may be sent without one.
/// Fails with 400 "malformed JSON" or "body must be a JSON object", and
/// names the field of a string that holds U+0000 (`\u0000`), which no
/// PostgreSQL text can store.
result<json::object> parse_json_object(std::string_view body);

/// Typed, range-checked reads of one JSON object's fields. Errors name the
/// field by its path (`shipping_address.city` for nested objects). A JSON
/// `null` counts as absent. Integers must be JSON integers: `1.5`, `1.0`,
/// `1e2`, `"3"`, `true` and anything beyond int64 are rejected. String
/// lengths count Unicode code points.
class object_fields {
public:
  /// `obj` must outlive this reader and every reader it hands out.
  explicit object_fields(const json::object& obj, std::string path = {});

  const json::object& object() const noexcept { return *obj_; }

  /// True when `key` is present and not null.
  bool has(std::string_view key) const noexcept;

  /// The name errors use for `key` (`path.key`).
  std::string field_name(std::string_view key) const;

  result<std::string> required_string(std::string_view key, size_t max_chars = 1024,
                                      size_t min_chars = 1) const;
  result<std::optional<std::string>> optional_string(std::string_view key,
                                                     size_t max_chars = 1024,
                                                     size_t min_chars = 0) const;

  result<int64_t> required_int(std::string_view key, int64_t min, int64_t max) const;
  result<std::optional<int64_t>> optional_int(std::string_view key, int64_t min,
                                              int64_t max) const;

  /// Any JSON number (integer or not) within [min, max] (coordinates).
  result<double> required_number(std::string_view key, double min, double max) const;
  result<std::optional<double>> optional_number(std::string_view key, double min,
                                                double max) const;

  result<std::optional<bool>> optional_bool(std::string_view key) const;

  result<object_fields> required_object(std::string_view key) const;
  result<std::optional<object_fields>> optional_object(std::string_view key) const;

private:
  const json::value* find(std::string_view key) const noexcept;

  const json::object* obj_;
  std::string path_;
};

// -- query parameters ---------------------------------------------------------

/// `?limit=N&cursor=C`.
struct page_params {
  int64_t limit = 20;
  /// Empty when absent.
  std::string cursor;
};

/// Reads `limit` (default `default_limit`, must be an integer in
/// [1, max_limit], else 400 field "limit") and `cursor`.
result<page_params> page_query(const request& req, int64_t default_limit = 20,
                               int64_t max_limit = 200);

/// An optional integer query parameter in [min, max] (400 naming it when it
/// is not a plain decimal integer or out of range).
result<std::optional<int64_t>> query_int(const request& req, std::string_view name,
                                         int64_t min, int64_t max);

/// An optional decimal number query parameter in [min, max] (`lat`, `lon`).
result<std::optional<double>> query_number(const request& req, std::string_view name,
                                           double min, double max);

} // namespace agora::net::http
