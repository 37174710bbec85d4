// RateMonitor: watches the share of bad outcomes (fallbacks among routed calls, dead letters
// among finished jobs) over a sliding window and reports each crossing once.
//
// The window holds the last max_events outcomes no older than window_ms. With at least
// min_events in it, the rate rising to >= threshold is a "high" crossing; it then has to
// fall below threshold * clear_ratio (hysteresis) to cross back "normal", so a rate hovering
// at the threshold raises one alert, not one per call. After a high crossing no other high
// crossing is reported for cooldown_ms, even if the rate dipped and rose again meanwhile.
//
// Thread-safe (one mutex). Time comes from the Clock.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "core/clock.h"

namespace ingestd {

struct RateMonitorOptions {
  double threshold = 0.5;  // in (0, 1]
  int64_t window_ms = 5 * 60'000;
  int max_events = 1000;
  int min_events = 20;       // fewer outcomes than this say nothing yet
  double clear_ratio = 0.5;  // back to normal below threshold * clear_ratio
  int64_t cooldown_ms = 10 * 60'000;
};

struct RateCrossing {
  bool high = false;  // true: rose to the threshold; false: fell back below the clear level
  double rate = 0;
  int64_t events = 0;  // outcomes in the window
  int64_t bad = 0;
};

class RateMonitor {
 public:
  RateMonitor(RateMonitorOptions options, const Clock* clock);

  // Records one outcome (bad = a fallback / a dead letter); returns the crossing it caused.
  std::optional<RateCrossing> Record(bool bad);
  const RateMonitorOptions& options() const { return options_; }

 private:
  struct Outcome {
    int64_t at_ms;
    bool bad;
  };

  const RateMonitorOptions options_;
  const Clock* const clock_;
  std::mutex mu_;
  std::deque<Outcome> window_;           // guarded by mu_
  int64_t bad_ = 0;                      // bad outcomes in window_; guarded by mu_
  bool high_ = false;                    // guarded by mu_
  std::optional<int64_t> last_high_ms_;  // guarded by mu_
};

}  // namespace ingestd
