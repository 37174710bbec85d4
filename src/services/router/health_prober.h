// HealthProber: the active half of service health (DESIGN.md §5). One thread per
// ServiceRouter asks every registered real implementation, every interval, whether it is
// healthy — with a request that costs nothing (Parser/Embedder::CheckHealth), so no ledger
// reservation is made — and feeds the outcome to that service's circuit breaker
// (ServiceRoute::RecordProbe). So a dead service opens its breaker before any job pays to
// find out, and a recovered one closes it without waiting for a job's trial call.
//
// Probes run one after another on the prober's thread; each is bounded by its client's
// probe timeouts. Failures are logged (code, latency, correlation id), never retried here:
// the next round is the retry. Time comes from the Clock (latency: monotonic; at: wall),
// the wait between rounds from a condition variable, so Stop() is prompt.
//
// Thread-safe. The targets' routes and implementations must outlive the prober.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "services/router/service_router.h"

namespace ingestd {

class HealthProber {
 public:
  // interval_ms <= 0: never probes on its own (Start does nothing).
  HealthProber(std::vector<ProbeTarget> targets, const Clock* clock, int64_t interval_ms);
  ~HealthProber();  // Stop()
  HealthProber(const HealthProber&) = delete;
  HealthProber& operator=(const HealthProber&) = delete;

  // Starts the thread: a round at once, then one every interval. No-op when disabled, when
  // there is nothing to probe, or when already started.
  void Start();
  // Ends the wait and joins the thread (a probe in progress finishes first). Idempotent.
  void Stop();
  // One round on the calling thread: probes every target once.
  void ProbeOnce();
  int64_t rounds() const;
  bool running() const;

 private:
  void Run();

  const std::vector<ProbeTarget> targets_;
  const Clock* const clock_;
  const int64_t interval_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int64_t rounds_ = 0;
  std::thread thread_;
};

}  // namespace ingestd
