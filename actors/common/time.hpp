// Wall-clock time as Agora stores and prints it: microseconds since the Unix
// epoch (int64), rendered as RFC 3339 UTC with millisecond precision.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agora {

/// Microseconds since the Unix epoch.
using timestamp_us = int64_t;

/// The current wall-clock time.
timestamp_us now_us() noexcept;

/// `2026-11-21T10:15:00.123Z`.
std::string format_rfc3339(timestamp_us t);

/// Parses what format_rfc3339 writes (and whole seconds without fraction).
std::optional<timestamp_us> parse_rfc3339(std::string_view text);

} // namespace agora
