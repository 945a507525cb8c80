// Request-target parsing: splits `/a/b%20c?x=1&y=2` into decoded path
// segments and decoded query parameters. Pure functions, no Beast.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http/handler.hpp"

namespace agora::net::http {

/// A request target taken apart.
struct parsed_target {
  /// The path as sent (still encoded), trailing slash removed except for "/".
  std::string path;
  /// Percent-decoded path segments (`/a/b%2Fc` → {"a", "b/c"}).
  std::vector<std::string> segments;
  /// Percent-decoded query parameters, `+` read as a space, in order.
  field_list query;
};

/// Decodes %XX escapes (and `+` as a space when `plus_is_space`); nullopt for
/// a truncated or non-hex escape, and for text that is not UTF-8 or holds
/// U+0000 (no PostgreSQL text can store it: a search for `%ff` would fail
/// in the database).
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

/// Parses an origin-form target (must start with '/'); nullopt when it is
/// malformed (no leading slash, a bad escape, decoded text that is not
/// UTF-8). A trailing slash is not significant: `/api/v1/carts/` is
/// `/api/v1/carts`. A fragment is ignored.
std::optional<parsed_target> parse_target(std::string_view target);

} // namespace agora::net::http
