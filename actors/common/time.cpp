#include "actors/common/time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace agora {

timestamp_us now_us() noexcept {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

/// Two digits of `v` (0..99) at `p`.
char* two(char* p, int64_t v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

} // namespace

std::size_t format_rfc3339(timestamp_us t, char (&out)[rfc3339_max]) {
  // Floor division, so times before 1970 count back from the second before.
  int64_t secs = t >= 0 ? t / 1'000'000 : (t - 999'999) / 1'000'000;
  int64_t millis = (t - secs * 1'000'000) / 1000;
  int64_t days = secs >= 0 ? secs / 86'400 : (secs - 86'399) / 86'400;
  int64_t sod = secs - days * 86'400;
  // The proleptic Gregorian date of a day number (H. Hinnant's
  // civil_from_days): 400-year eras starting on 1 March.
  int64_t z = days + 719'468;
  int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  int64_t doe = z - era * 146'097;
  int64_t yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  int64_t hour = sod / 3600, minute = sod / 60 % 60, second = sod % 60;
  if (year < 0 || year > 9999) {
    int n = std::snprintf(out, sizeof out, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                          static_cast<long long>(year), static_cast<int>(month),
                          static_cast<int>(day), static_cast<int>(hour),
                          static_cast<int>(minute), static_cast<int>(second),
                          static_cast<int>(millis));
    return static_cast<std::size_t>(n);
  }
  char* p = two(two(out, year / 100), year % 100);
  *p++ = '-';
  p = two(p, month);
  *p++ = '-';
  p = two(p, day);
  *p++ = 'T';
  p = two(p, hour);
  *p++ = ':';
  p = two(p, minute);
  *p++ = ':';
  p = two(p, second);
  *p++ = '.';
  *p++ = static_cast<char>('0' + millis / 100);
  p = two(p, millis % 100);
  *p++ = 'Z';
  return static_cast<std::size_t>(p - out);
}

std::string format_rfc3339(timestamp_us t) {
  char buf[rfc3339_max];
  return std::string(buf, format_rfc3339(t, buf));
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
