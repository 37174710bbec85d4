// CircuitBreaker: passive health of one outside service. Closed: calls flow and consecutive
// service faults are counted; at failure_threshold it opens. Open: calls are refused until
// open_ms has passed, then one probe call is let through (half-open); its success closes
// the breaker, its failure opens it for another open_ms. Time comes from the Clock.
//
// Thread-safe (one mutex). Every Allow() that returned true must be followed by exactly one
// of RecordSuccess / RecordFailure / RecordNeutral, so a half-open probe is never lost.
// RecordSuccess / RecordFailure return the state change they caused, so the caller (who
// knows the call's job) can report opened / closed transitions once each.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"

namespace ingestd {

struct BreakerOptions {
  int failure_threshold = 5;  // consecutive service faults that open the breaker
  int64_t open_ms = 30'000;   // how long it stays open before a half-open probe
  int window_calls = 50;      // outcomes kept for the recent error rate
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };
const char* ToString(BreakerState state);

// A change of state made by RecordSuccess / RecordFailure (from != to).
struct BreakerTransition {
  BreakerState from = BreakerState::kClosed;
  BreakerState to = BreakerState::kClosed;
};

struct BreakerSnapshot {
  BreakerState state = BreakerState::kClosed;
  int consecutive_failures = 0;
  int64_t retry_at_ms = 0;  // when open: the earliest half-open probe
  double error_rate = 0;    // over the last window_calls outcomes
  int64_t recent_calls = 0;
};

class CircuitBreaker {
 public:
  CircuitBreaker(BreakerOptions options, const Clock* clock);

  // True when a call may go out now (in half-open: only the single probe).
  bool Allow();
  std::optional<BreakerTransition> RecordSuccess();
  std::optional<BreakerTransition> RecordFailure();
  // The outcome of an active health probe (a free request, HealthProber), which needs no
  // Allow(). A failed probe counts as a failure: it adds to the consecutive failures (and so
  // can open the breaker), reopens a half-open one, and restarts an open one's interval. A
  // successful probe closes an open breaker once open_ms has passed (the probe stands in
  // for the half-open call) and a half-open one whose trial call is not in flight; before
  // open_ms it changes nothing, and while closed it leaves the failure count alone (a free
  // GET that answers does not outweigh paid calls that failed). Probes are not counted in
  // the recent error rate, which describes calls.
  std::optional<BreakerTransition> RecordProbe(bool ok);
  // The call ended without telling anything about the service's health (the input was
  // bad, or the call never went out): frees a half-open probe slot.
  void RecordNeutral();
  // Milliseconds until Allow() may succeed again (0 when it would now).
  int64_t RetryAfterMs() const;
  BreakerSnapshot Snapshot() const;

 private:
  void Remember(bool failed);  // requires mu_
  void Fail();                 // requires mu_: one more consecutive failure

  const BreakerOptions options_;
  const Clock* const clock_;
  mutable std::mutex mu_;
  BreakerState state_ = BreakerState::kClosed;
  int consecutive_failures_ = 0;
  int64_t opened_at_ms_ = 0;
  bool probe_in_flight_ = false;
  std::deque<bool> recent_;  // true = failure
};

}  // namespace ingestd
