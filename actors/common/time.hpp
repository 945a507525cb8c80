// Wall-clock time as Agora stores and prints it: microseconds since the Unix
// epoch (int64), rendered as RFC 3339 UTC with millisecond precision.
#pragma once

#include <cstddef>
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

/// Room for any text format_rfc3339 writes.
inline constexpr std::size_t rfc3339_max = 40;

/// The same text written into `out`; returns its length. No allocation and
/// no lock (glibc's gmtime_r takes one).
std::size_t format_rfc3339(timestamp_us t, char (&out)[rfc3339_max]);

/// Parses what format_rfc3339 writes (and whole seconds without fraction).
std::optional<timestamp_us> parse_rfc3339(std::string_view text);

} // namespace agora
