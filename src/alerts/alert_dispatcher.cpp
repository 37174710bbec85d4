#include "alerts/alert_dispatcher.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "core/last_resort.h"
#include "core/log.h"

namespace ingestd {
namespace {

nlohmann::json DeliveryFields(const Alert& a, int attempts) {
  return {{"correlation_id", a.correlation_id},
          {"job_id", a.job_id},
          {"alert_id", a.id},
          {"kind", a.kind},
          {"scope", a.scope},
          {"attempts", attempts}};
}

}  // namespace

AlertDispatcher::AlertDispatcher(DispatcherOptions options, Deliver deliver, const Clock* clock,
                                 std::function<double()> unit_random)
    : options_(options),
      deliver_(std::move(deliver)),
      clock_(clock),
      unit_random_(std::move(unit_random)) {
  if (!unit_random_) {
    unit_random_ = [rng = std::mt19937_64(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
}

AlertDispatcher::~AlertDispatcher() { Stop(); }

void AlertDispatcher::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void AlertDispatcher::Stop() {
  size_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(mu_);
    dropped = queue_.size();
    stats_.gave_up += static_cast<int64_t>(dropped);
    queue_.clear();
  }
  if (dropped > 0) {
    log::Warn("alert delivery stopped; undelivered alerts dropped", {{"dropped", dropped}});
  }
}

void AlertDispatcher::Enqueue(const Alert& alert) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    const int64_t now = clock_->NowMillis();
    queue_.push_back({alert, 0, now, now});
    ++stats_.enqueued;
    TrimLocked();
  }
  cv_.notify_all();
}

void AlertDispatcher::TrimLocked() {
  while (queue_.size() > std::max<size_t>(options_.queue_capacity, 1)) {
    const Pending& oldest = queue_.front();
    ++stats_.dropped_full;
    nlohmann::json fields = DeliveryFields(oldest.alert, oldest.attempts);
    fields["dropped_full"] = stats_.dropped_full;
    log::Warn("alert queue full; oldest alert dropped", fields);
    queue_.pop_front();
  }
}

bool AlertDispatcher::DeliverDue() {
  Pending p;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty() || queue_.front().next_at_ms > clock_->NowMillis()) return false;
    p = std::move(queue_.front());
    queue_.pop_front();
  }
  AttemptResult r;
  // A delivery that throws is a transient failure: retried with backoff like a 5xx.
  if (RunGuarded(
          "alert delivery", [&] { r = deliver_(p.alert, clock_->NowMillis()); },
          DeliveryFields(p.alert, p.attempts + 1))) {
    r = AttemptResult{AttemptResult::kRetry, 0, std::nullopt, "DELIVERY_THREW"};
  }
  ++p.attempts;
  const int64_t now = clock_->NowMillis();
  std::lock_guard lock(mu_);
  ++stats_.attempts;
  nlohmann::json fields = DeliveryFields(p.alert, p.attempts);
  if (r.outcome == AttemptResult::kDelivered) {
    ++stats_.delivered;
    fields["http_status"] = r.http_status;
    log::Info("alert delivered", fields);
    return true;
  }
  AfterFailureLocked(std::move(p), r, now);
  return true;
}

void AlertDispatcher::AfterFailureLocked(Pending p, const AttemptResult& r, int64_t now) {
  nlohmann::json fields = DeliveryFields(p.alert, p.attempts);
  fields["http_status"] = r.http_status;
  fields["error"] = r.error;
  if (r.outcome == AttemptResult::kRejected) {
    ++stats_.gave_up;
    log::Error("alert rejected by the webhook; dropped", fields);
    return;
  }
  // The receiver's Retry-After is a floor: never come back sooner than it asked.
  const int64_t delay =
      std::max(BackoffDelayMs(options_.backoff, p.attempts, unit_random_(), r.retry_after_ms),
               r.retry_after_ms.value_or(0));
  if (p.attempts >= options_.max_attempts || now + delay - p.raised_ms > options_.max_age_ms) {
    ++stats_.gave_up;
    log::Error("alert delivery gave up; dropped", fields);
    return;
  }
  fields["retry_in_ms"] = delay;
  log::Warn("alert delivery failed; retry scheduled", fields);
  p.next_at_ms = now + delay;
  queue_.push_front(std::move(p));
  TrimLocked();
}

std::optional<int64_t> AlertDispatcher::NextDueInMs() const {
  std::lock_guard lock(mu_);
  if (queue_.empty()) return std::nullopt;
  return std::max<int64_t>(0, queue_.front().next_at_ms - clock_->NowMillis());
}

DispatcherStats AlertDispatcher::stats() const {
  std::lock_guard lock(mu_);
  DispatcherStats s = stats_;
  s.queued = static_cast<int64_t>(queue_.size());
  return s;
}

void AlertDispatcher::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const int64_t wait = queue_.front().next_at_ms - clock_->NowMillis();
    if (wait > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(wait));
      continue;
    }
    lock.unlock();
    DeliverDue();
    lock.lock();
  }
}

}  // namespace ingestd
