#include "core/clock.h"

#include <ctime>

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

}  // namespace ingestd
