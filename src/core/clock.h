// Clock: the seam through which all code reads time and sleeps, so that budget windows,
// retries, backoff and leases can be tested with a FakeClock in microseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace ingestd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (UTC).
  virtual int64_t NowMillis() const = 0;
  // Monotonic milliseconds, for measuring durations.
  virtual int64_t MonotonicMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override;
  int64_t MonotonicMillis() const override;
  // The process-wide instance.
  static SystemClock* Default();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_millis = 1'700'000'000'000) : now_(start_millis) {}
  int64_t NowMillis() const override;
  int64_t MonotonicMillis() const override;
  void Advance(int64_t millis);
  void Set(int64_t millis);

 private:
  mutable std::mutex mu_;
  int64_t now_;
};

// RFC 3339 UTC with milliseconds, e.g. "2026-11-28T18:10:17.123Z".
std::string FormatRfc3339(int64_t millis);

// A point in time as query parameters give it: epoch milliseconds, "YYYY-MM-DD" (midnight
// UTC) or "YYYY-MM-DDTHH:MM:SSZ". nullopt for anything else.
std::optional<int64_t> ParseTimeParam(std::string_view text);

}  // namespace ingestd
