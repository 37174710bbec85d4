#include "core/clock.h"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <string>

namespace ingestd {

int64_t SystemClock::NowMillis() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t SystemClock::MonotonicMillis() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

SystemClock* SystemClock::Default() {
  static SystemClock clock;
  return &clock;
}

int64_t FakeClock::NowMillis() const {
  std::lock_guard lock(mu_);
  return now_;
}

int64_t FakeClock::MonotonicMillis() const { return NowMillis(); }

void FakeClock::Advance(int64_t millis) {
  std::lock_guard lock(mu_);
  now_ += millis;
}

void FakeClock::Set(int64_t millis) {
  std::lock_guard lock(mu_);
  now_ = millis;
}

std::string FormatRfc3339(int64_t millis) {
  int64_t secs = millis / 1000;
  int64_t ms = millis % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

std::optional<int64_t> ParseTimeParam(std::string_view text) {
  int64_t ms = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec == std::errc() && p == text.data() + text.size()) return ms;
  const std::string s(text);
  std::tm tm{};
  int consumed = 0;
  const bool date_only = std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon,
                                     &tm.tm_mday, &consumed) == 3 &&
                         consumed == static_cast<int>(s.size());
  const bool date_time =
      !date_only &&
      std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) == 6 &&
      consumed == static_cast<int>(s.size());
  if (!date_only && !date_time) return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

}  // namespace ingestd
