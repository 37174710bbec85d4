#include "services/router/health_prober.h"

#include <chrono>

#include "core/ids.h"
#include "core/last_resort.h"
#include "core/log.h"

namespace ingestd {

HealthProber::HealthProber(std::vector<ProbeTarget> targets, const Clock* clock,
                           int64_t interval_ms)
    : targets_(std::move(targets)), clock_(clock), interval_ms_(interval_ms) {}

HealthProber::~HealthProber() { Stop(); }

void HealthProber::Start() {
  std::lock_guard lock(mu_);
  if (interval_ms_ <= 0 || targets_.empty() || thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void HealthProber::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool HealthProber::running() const {
  std::lock_guard lock(mu_);
  return thread_.joinable() && !stopping_;
}

int64_t HealthProber::rounds() const {
  std::lock_guard lock(mu_);
  return rounds_;
}

void HealthProber::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    RunGuarded("health prober", [&] { ProbeOnce(); });  // the next round probes again
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [&] { return stopping_; });
  }
}

void HealthProber::ProbeOnce() {
  for (const ProbeTarget& t : targets_) {
    const std::string correlation_id = NewUuidV4();
    const int64_t started = clock_->MonotonicMillis();
    const Status s = t.check(CallContext{correlation_id, "", ""});
    ProbeResult r;
    r.latency_ms = clock_->MonotonicMillis() - started;
    r.at_ms = clock_->NowMillis();
    r.ok = s.ok();
    r.error_code = s.ok() ? "" : s.code();
    t.route->RecordProbe(r, correlation_id);
    const auto level = s.ok() ? log::Level::kDebug : log::Level::kWarn;
    log::Write(level, s.ok() ? "health probe ok" : "health probe failed",
               {{"correlation_id", correlation_id},
                {"service", t.route->options().service},
                {"latency_ms", r.latency_ms},
                {"code", r.error_code}});
  }
  std::lock_guard lock(mu_);
  ++rounds_;
}

}  // namespace ingestd
