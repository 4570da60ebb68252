#include "core/time_format.h"

#include <cstdio>
#include <ctime>

namespace mlmodel::core {

// Times before 1970 count down: seconds are floored (to_time_t and / truncate toward
// zero, which wrote 1969-12-31T23:59:59.250 as ...:59:59.-750, a time nothing reads back).
std::string rfc3339(WallTime t) {
  const std::time_t secs = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string rfc3339Millis(WallTime t) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch());
  const auto whole = std::chrono::floor<std::chrono::seconds>(ms);
  const std::time_t secs = whole.count();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>((ms - whole).count()));
  return buf;
}

std::optional<WallTime> parseRfc3339(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6) {
    return std::nullopt;
  }
  size_t i = static_cast<size_t>(n);
  std::chrono::nanoseconds frac{0};
  if (i < s.size() && s[i] == '.') {
    long long scale = 100000000;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      frac += std::chrono::nanoseconds((s[i] - '0') * scale);
      scale /= 10;
    }
  }
  int offsetMinutes = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offsetMinutes = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size() || y < kMinWallTimeYear || y > kMaxWallTimeYear || mo < 1 || mo > 12 || d < 1 ||
      d > 31 || h > 23 || mi > 59 || sec > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const std::time_t secs = timegm(&tm);
  return std::chrono::system_clock::from_time_t(secs) - std::chrono::minutes(offsetMinutes) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(frac);
}

}  // namespace mlmodel::core
