#include "actors/common/time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace agora {

timestamp_us now_us() noexcept {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_rfc3339(timestamp_us t) {
  auto secs = static_cast<std::time_t>(t >= 0 ? t / 1000000 : (t - 999999) / 1000000);
  auto millis = static_cast<int>((t - static_cast<int64_t>(secs) * 1000000) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::optional<timestamp_us> parse_rfc3339(std::string_view text) {
  int y, mo, d, h, mi, s, n = 0;
  std::string str(text);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6)
    return std::nullopt;
  int64_t micros = 0;
  size_t pos = static_cast<size_t>(n);
  if (pos < str.size() && str[pos] == '.') {
    int64_t scale = 100000;
    for (++pos; pos < str.size() && str[pos] >= '0' && str[pos] <= '9'; ++pos) {
      micros += (str[pos] - '0') * scale;
      scale /= 10;
    }
  }
  if (pos >= str.size() || str[pos] != 'Z')
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000000 + micros;
}

} // namespace agora
