#include "services/router/circuit_breaker.h"

#include <algorithm>

namespace ingestd {

const char* ToString(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(BreakerOptions options, const Clock* clock)
    : options_(options), clock_(clock) {}

bool CircuitBreaker::Allow() {
  std::lock_guard lock(mu_);
  switch (state_) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kOpen:
      if (clock_->NowMillis() < opened_at_ms_ + options_.open_ms) return false;
      state_ = BreakerState::kHalfOpen;
      probe_in_flight_ = true;
      return true;
    case BreakerState::kHalfOpen:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

std::optional<BreakerTransition> CircuitBreaker::RecordSuccess() {
  std::lock_guard lock(mu_);
  const BreakerState from = state_;
  Remember(false);
  state_ = BreakerState::kClosed;
  consecutive_failures_ = 0;
  probe_in_flight_ = false;
  if (from == state_) return std::nullopt;
  return BreakerTransition{from, state_};
}

std::optional<BreakerTransition> CircuitBreaker::RecordFailure() {
  std::lock_guard lock(mu_);
  const BreakerState from = state_;
  Remember(true);
  probe_in_flight_ = false;
  Fail();
  if (from == state_) return std::nullopt;
  return BreakerTransition{from, state_};
}

std::optional<BreakerTransition> CircuitBreaker::RecordProbe(bool ok) {
  std::lock_guard lock(mu_);
  const BreakerState from = state_;
  if (!ok) {
    Fail();
  } else if ((state_ == BreakerState::kOpen &&
              clock_->NowMillis() >= opened_at_ms_ + options_.open_ms) ||
             (state_ == BreakerState::kHalfOpen && !probe_in_flight_)) {
    state_ = BreakerState::kClosed;
    consecutive_failures_ = 0;
  }
  if (from == state_) return std::nullopt;
  return BreakerTransition{from, state_};
}

void CircuitBreaker::Fail() {
  ++consecutive_failures_;
  if (state_ == BreakerState::kHalfOpen || consecutive_failures_ >= options_.failure_threshold) {
    state_ = BreakerState::kOpen;
    opened_at_ms_ = clock_->NowMillis();
  }
}

void CircuitBreaker::RecordNeutral() {
  std::lock_guard lock(mu_);
  probe_in_flight_ = false;
}

int64_t CircuitBreaker::RetryAfterMs() const {
  std::lock_guard lock(mu_);
  if (state_ != BreakerState::kOpen) return 0;
  return std::max<int64_t>(0, opened_at_ms_ + options_.open_ms - clock_->NowMillis());
}

BreakerSnapshot CircuitBreaker::Snapshot() const {
  std::lock_guard lock(mu_);
  BreakerSnapshot s;
  s.state = state_;
  s.consecutive_failures = consecutive_failures_;
  s.retry_at_ms = state_ == BreakerState::kOpen ? opened_at_ms_ + options_.open_ms : 0;
  s.recent_calls = static_cast<int64_t>(recent_.size());
  if (!recent_.empty()) {
    s.error_rate = static_cast<double>(std::count(recent_.begin(), recent_.end(), true)) /
                   static_cast<double>(recent_.size());
  }
  return s;
}

void CircuitBreaker::Remember(bool failed) {
  recent_.push_back(failed);
  while (static_cast<int>(recent_.size()) > std::max(options_.window_calls, 1)) recent_.pop_front();
}

}  // namespace ingestd
