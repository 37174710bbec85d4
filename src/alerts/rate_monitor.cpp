#include "alerts/rate_monitor.h"

#include <algorithm>

namespace ingestd {

RateMonitor::RateMonitor(RateMonitorOptions options, const Clock* clock)
    : options_(options), clock_(clock) {}

std::optional<RateCrossing> RateMonitor::Record(bool bad) {
  const int64_t now = clock_->NowMillis();
  std::lock_guard lock(mu_);
  window_.push_back({now, bad});
  bad_ += bad ? 1 : 0;
  const size_t max_events = static_cast<size_t>(std::max(options_.max_events, 1));
  while (!window_.empty() &&
         (window_.size() > max_events || window_.front().at_ms <= now - options_.window_ms)) {
    bad_ -= window_.front().bad ? 1 : 0;
    window_.pop_front();
  }
  const auto events = static_cast<int64_t>(window_.size());
  if (events < options_.min_events) return std::nullopt;
  const double rate = static_cast<double>(bad_) / static_cast<double>(events);
  RateCrossing crossing{false, rate, events, bad_};
  if (!high_) {
    if (rate < options_.threshold) return std::nullopt;
    if (last_high_ms_ && now < *last_high_ms_ + options_.cooldown_ms) return std::nullopt;
    high_ = true;
    last_high_ms_ = now;
    crossing.high = true;
    return crossing;
  }
  if (rate >= options_.threshold * options_.clear_ratio) return std::nullopt;
  high_ = false;
  return crossing;
}

}  // namespace ingestd
