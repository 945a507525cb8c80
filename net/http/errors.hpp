// The one place where an agora::errc becomes an HTTP status (API.md
// "Conventions"). Everything that answers an error, handlers and the server
// alike, goes through map_error / render_error_body. Table-tested in
// tests/net/errors_test.cpp.
#pragma once

#include <string>

#include "actors/common/problem.hpp"

namespace agora::net::http {

/// How one error code shows on the wire.
struct error_mapping {
  /// The HTTP status.
  unsigned status = 500;
  /// The code written into the body (internal codes are rewritten, e.g.
  /// concurrency_conflict → unavailable).
  errc wire_code = errc::internal;
  /// Seconds for a Retry-After header; 0 = no header.
  unsigned retry_after_s = 0;
};

/// The mapping table: one switch over every errc.
error_mapping map_error(errc code) noexcept;

/// The status alone (map_error(code).status).
unsigned http_status(errc code) noexcept;

/// `{"error":{"code":…,"message":…,"details":{…}}}` for `p`, with the code
/// rewritten as map_error says. A `details` text that is not a JSON object
/// is replaced by `{}`.
std::string render_error_body(const problem& p);

/// The reason phrase for a status (`"Not Found"`), for logs.
const char* status_reason(unsigned status) noexcept;

} // namespace agora::net::http
