// ServiceRoute: the routing policy of one service (parse or embed), shared by the routed
// Parser and Embedder. It decides, call by call, whether the real implementation serves or
// the fallback does (DESIGN.md §5), reserves the call's estimate in the ledger before a real
// call and settles or releases it afterwards, and feeds the circuit breaker.
//
// A real call's reservation is held (ReservationKeeper) for the call's whole duration, so it
// never lapses while the provider works; if this process dies, it lapses as on_expiry says.
// The call is settled with what the provider billed (the implementation's UsageMeter), also
// when the call failed after some of its requests were billed; only a call that billed
// nothing is released.
//
//   mock / local: the named implementation, never reserved (free).
//   real:   the real one only. Breaker open → kUnavailable "SERVICE_UNAVAILABLE" (retryable,
//           retry_after = until the half-open probe); budget → the ledger's kBudgetExceeded
//           (retryable, retry_after = next window with room). Never serves fallback output.
//   hybrid: the real one while its breaker allows, the budget has room and it answers;
//           otherwise the fallback, with the reason recorded.
//
// The mode is switchable at run time (SetMode): each call reads it once when it starts and
// runs its whole course (admission, accounting, fallback, record) under that mode, so calls
// in flight finish on the implementation they started with and the next call uses the new
// mode. The breaker and counters belong to the service and survive switches.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "ledger/ledger.h"
#include "ledger/reservation_keeper.h"
#include "services/parser.h"
#include "services/router/circuit_breaker.h"
#include "services/router/service_mode.h"

namespace ingestd {

// What served one call, and why; recorded as a log line and handed to the sink.
struct RouteDecision {
  std::string service;         // "parse" | "embed"
  std::string mode;            // the mode the call ran under (read once when it started)
  std::string implementation;  // the implementation that served (or was refused)
  bool fallback_triggered = false;
  std::string reason;  // e.g. "mode", "real", "breaker_open", "budget:BUDGET_EXCEEDED"
  std::string job_id;
  std::string correlation_id;
  int64_t cost_nanos = 0;  // the settled usage of a real call that succeeded; 0 otherwise
};
using DecisionSink = std::function<void(const RouteDecision&)>;

// The breaker of a service changed state after a call (of job_id, when known).
struct BreakerEvent {
  std::string service;
  BreakerTransition transition;
  BreakerSnapshot breaker;  // as it stands after the change
  std::string job_id;
  std::string correlation_id;
};
// Called on the calling thread, after the breaker's lock was released.
using BreakerSink = std::function<void(const BreakerEvent&)>;

// The outcome of the last active health probe of a service (HealthProber).
struct ProbeResult {
  int64_t at_ms = 0;  // wall time when it finished
  bool ok = false;
  int64_t latency_ms = 0;
  std::string error_code;  // empty when ok
};

struct ServiceHealth {
  std::string service;
  std::string mode;
  std::string implementation;  // what would serve a call now
  BreakerSnapshot breaker;
  int64_t last_latency_ms = -1;  // of the last real call; -1 before the first
  std::string last_error_code;
  int64_t primary_calls = 0;  // served by the mode's own implementation
  int64_t fallback_calls = 0;
  std::optional<ProbeResult> last_probe;  // none before the first probe
};

class ServiceRoute {
 public:
  struct Options {
    std::string service;                    // "parse" | "embed"
    ServiceMode mode = ServiceMode::kMock;  // the initial mode
    std::string fallback;                   // implementation name for hybrid ("local" or "mock")
    BreakerOptions breaker;
    BreakerSink on_breaker;  // optional: hears every state change of the breaker
    // What the ledger does with a real call's reservation if this process dies during it.
    OnExpiry on_expiry = OnExpiry::kRelease;
    // Keeps reservations of calls in progress alive (optional; not owned).
    ReservationKeeper* keeper = nullptr;
    // A parked call's reservation (Park) lapses unless resumed within this long.
    int64_t parked_reservation_ms = 60 * 60'000;
  };
  // ledger may be null (no budgets: real calls are not reserved); clock must outlive this.
  ServiceRoute(Options options, const Clock* clock, Ledger* ledger, DecisionSink sink);

  // The mode new calls start under.
  ServiceMode mode() const { return mode_.load(std::memory_order_acquire); }
  // Calls starting from now on run under `mode`; returns the previous mode. The caller
  // (ServiceRouter::SetMode) has checked that implementations for `mode` are registered.
  ServiceMode SetMode(ServiceMode mode) { return mode_.exchange(mode, std::memory_order_acq_rel); }
  // Real and hybrid calls go through Admit/Complete; mock and local ones are free.
  static bool IsPaid(ServiceMode mode) {
    return mode == ServiceMode::kReal || mode == ServiceMode::kHybrid;
  }

  // Admission of one paid call under `mode` (the call's snapshot of mode()). use_real with
  // a reservation (when a ledger is set) for a real call; the fallback with the reason in
  // hybrid; an error Status in real mode.
  struct Admission {
    ServiceMode mode = ServiceMode::kReal;
    bool use_real = false;
    std::optional<Reservation> reservation;
    std::string reason;
    int64_t started_mono_ms = 0;
  };
  Result<Admission> Admit(const CallContext& ctx, ServiceMode mode, int64_t estimate_nanos);

  // After a real call: settles with `billed` (what the provider billed, the call ok or
  // not) or, when unset (nothing billed), releases; tells the breaker. Returns true when
  // hybrid mode should now serve the call from the fallback.
  bool Complete(const Admission& admission, const CallContext& ctx, const Status& outcome,
                const std::optional<Usage>& billed);

  // A real call whose provider job goes on without it (IsParsePending, or a retryable
  // failure of a resumed call): its reservation stays open — out of the keeper, as no
  // thread waits on it, with its expiry moved to now + parked_reservation_ms — for the
  // resume to settle. The breaker hears a pending outcome as a success (the provider
  // answered), a failure as one.
  void Park(const Admission& admission, const CallContext& ctx, const Status& outcome);
  // The admission of a parked call resumed under `mode`: its own reservation, held while
  // the call runs; no new reservation and no breaker check (the provider has the job).
  Admission Resume(ServiceMode mode, const std::string& reservation_id);

  // Records which implementation served a call that ran under `mode` (log line + sink).
  void Record(const CallContext& ctx, ServiceMode mode, const std::string& implementation,
              bool fallback, const std::string& reason, int64_t cost_nanos = 0);

  const Options& options() const { return options_; }
  ServiceHealth Health() const;
  // Feeds an active probe's outcome to the breaker (CircuitBreaker::RecordProbe: a failed
  // probe counts as a failure) and keeps it for Health(). A state change it causes goes to
  // on_breaker like a call's, with no job.
  void RecordProbe(const ProbeResult& probe, const std::string& correlation_id);

  // A failure that says the service (not the input) is in trouble: counts against the
  // breaker and, in hybrid, sends the call to the fallback.
  static bool IsServiceFault(const Status& s);

 private:
  const Options options_;
  const Clock* const clock_;
  Ledger* const ledger_;
  const DecisionSink sink_;
  CircuitBreaker breaker_;
  std::atomic<ServiceMode> mode_;
  std::atomic<int64_t> last_latency_ms_{-1};
  std::atomic<int64_t> primary_calls_{0};
  std::atomic<int64_t> fallback_calls_{0};
  mutable std::mutex mu_;
  std::string last_error_code_;            // guarded by mu_
  std::optional<ProbeResult> last_probe_;  // guarded by mu_
};

}  // namespace ingestd
