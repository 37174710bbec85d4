// AlertDispatcher: delivers alerts to the webhook from a background thread, so whoever
// raises an alert (a worker settling a call, a breaker tripping) never waits on the network.
//
// A bounded FIFO: Enqueue never blocks beyond a short lock; when the queue is full the
// oldest alert is dropped (counted and logged). The head is attempted when due; a transient
// failure (5xx, 429, connection) puts it back at the head with exponential backoff and
// jitter, no sooner than the receiver's Retry-After; it is given up (logged) after
// max_attempts attempts, when the next attempt would come later than max_age_ms after it
// was raised, or at once when the receiver rejects it (other 4xx). Alerts behind a retrying
// head wait for it, so a receiver sees them in the order they were raised.
//
// Time comes from the Clock; without Start() nothing runs by itself and tests step the
// queue with DeliverDue() under a FakeClock. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "alerts/alert.h"
#include "alerts/webhook_sender.h"
#include "core/backoff.h"
#include "core/clock.h"

namespace ingestd {

struct DispatcherOptions {
  size_t queue_capacity = 256;
  int max_attempts = 6;
  int64_t max_age_ms = 15 * 60'000;
  BackoffPolicy backoff{
      .base_delay_ms = 1'000, .max_delay_ms = 60'000, .multiplier = 2.0, .jitter = Jitter::kEqual};
};

struct DispatcherStats {
  int64_t enqueued = 0;
  int64_t attempts = 0;
  int64_t delivered = 0;
  int64_t dropped_full = 0;  // the oldest, pushed out of a full queue
  int64_t gave_up = 0;       // attempts or age exhausted, or rejected by the receiver
  int64_t queued = 0;        // waiting now (an attempt in flight is not counted)
};

class AlertDispatcher {
 public:
  // One attempt (WebhookSender::Send in production); called on the delivery thread only.
  using Deliver = std::function<AttemptResult(const Alert&, int64_t now_ms)>;
  // unit_random draws the jitter in [0, 1); default: a seeded generator.
  AlertDispatcher(DispatcherOptions options, Deliver deliver, const Clock* clock,
                  std::function<double()> unit_random = nullptr);
  ~AlertDispatcher();  // Stop()
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  // Starts the delivery thread (once).
  void Start();
  // Ends the delivery thread after its attempt in flight; alerts still queued are dropped
  // (logged). Idempotent.
  void Stop();

  void Enqueue(const Alert& alert);
  // Makes the head's attempt if it is due; true when an attempt was made.
  bool DeliverDue();
  // Milliseconds until the head is due (0: now); nullopt when the queue is empty.
  std::optional<int64_t> NextDueInMs() const;
  DispatcherStats stats() const;

 private:
  struct Pending {
    Alert alert;
    int attempts = 0;
    int64_t raised_ms = 0;
    int64_t next_at_ms = 0;
  };
  void Run();
  // Drops the oldest while over capacity; requires mu_.
  void TrimLocked();
  // Reschedules or gives up after a failed attempt; requires mu_.
  void AfterFailureLocked(Pending p, const AttemptResult& r, int64_t now);

  const DispatcherOptions options_;
  const Deliver deliver_;
  const Clock* const clock_;
  std::function<double()> unit_random_;  // used by the delivering thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  DispatcherStats stats_;      // guarded by mu_ (queued derived on read)
  bool stopping_ = false;      // guarded by mu_
  std::thread thread_;
};

}  // namespace ingestd
