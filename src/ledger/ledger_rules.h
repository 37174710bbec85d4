// Rules of the Ledger contract that do not depend on the backend: request validation, why a
// reservation was refused (and which exhausted alerts that raises), the windows a report
// shows before anyone spent, and how alerts are announced. SqliteLedger and PgLedger both
// use them, so the two backends cannot drift apart.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ledger/ledger.h"

namespace ingestd {

// kInvalidArgument "RESERVATION_INVALID" unless the service is known and the estimate >= 0.
Status ValidateReserve(const LedgerOptions& options, const ReserveRequest& request);
// kInvalidArgument "USAGE_INVALID" for a negative cost.
Status ValidateUsage(const Usage& actual);
// kNotFound "RESERVATION_NOT_FOUND": settled, released or swept before.
Status ReservationNotFound(const std::string& id);

// A paid call settled at $0 that the provider did not serve from its cache: a wrong price or
// a provider that stopped reporting usage (raises a "zero_cost" alert).
inline bool IsSuspectZeroCost(const Usage& u) { return u.cost_nanos == 0 && !u.cache_hit; }

// One window a refused reservation needed, as it stood under the reservation's lock.
struct LockedWindow {
  std::string key;
  WindowState state;
};

// A refused reservation: the Status to return and the "exhausted" alerts to record (each
// once per window: the backend stores them under UNIQUE (window_key, kind) and announces
// only the ones it inserted). alerts[i] belongs to window alert_keys[i].
struct Refusal {
  Status status;
  std::vector<std::string> alert_keys;
  std::vector<LedgerAlert> alerts;
};

// Why `request` did not fit the windows (all of the reservation's windows, locked), each
// against its limit less HeldBack (the priority reserve): an estimate larger than that is
// never retryable; a window whose spend reached it has room again at its end (an "exhausted"
// alert only when spend reached the full limit); one blocked only by open reservations, after
// options.reserved_retry_ms.
Refusal Refuse(const LedgerOptions& options, const ReserveRequest& request,
               const std::vector<LockedWindow>& windows, int64_t now_ms);

// Adds the configured windows covering now_ms that `out` lacks (nobody reserved against them
// yet: full room), so reports show every limit.
void AddUntouchedWindows(const LedgerOptions& options, int64_t now_ms,
                         std::vector<WindowState>* out);

// CostQuery::group_by as an index into a backend's table of queries.
enum class CostGroup { kService, kUser, kJob, kDay, kHour };
// kInvalidArgument "GROUP_BY_INVALID" for anything else.
Result<CostGroup> ParseCostGroup(const std::string& group_by);
inline bool IsTimeGroup(CostGroup g) { return g == CostGroup::kDay || g == CostGroup::kHour; }

// The expiry a reservation made at now_ms gets.
inline int64_t ExpiresAt(const LedgerOptions& o, const ReserveRequest& r, int64_t now_ms) {
  return r.expires_at_ms > 0 ? r.expires_at_ms : now_ms + o.reservation_timeout_ms;
}
// OnExpiry as stored: "release" | "charge" (anything else reads as release).
const char* OnExpiryName(OnExpiry e);
OnExpiry ParseOnExpiry(const std::string& name);

// The cost_overrun alerts of a settle of `actual` nanos whose reservation held `held`
// (its estimate, or what its lapse charged): none when actual <= held; else one per window in
// `over` (the reservation's windows now above their limit), or one for the service when none.
struct OverrunInput {
  std::string service;
  int64_t actual = 0;
  int64_t held = 0;
  std::vector<WindowState> over;  // scope, metric, window_start_ms, spent, limit
  std::string reservation_id, job_id, correlation_id;
  int64_t now_ms = 0;
};
std::vector<LedgerAlert> OverrunAlerts(const OverrunInput& in);

// One expired reservation as the sweep found it.
struct Expired {
  std::string id;
  OnExpiry on_expiry = OnExpiry::kRelease;
};
// Lapses each of `expired` through lapse (the backend's transaction for one; false when it was
// finished or lapsed meanwhile) and logs each lapse. Returns how many this call lapsed.
Result<int64_t> LapseEach(const std::vector<Expired>& expired,
                          const std::function<Result<bool>(const Expired&)>& lapse);
// How often a ledger sweeps expired reservations on its own (from within Reserve).
inline int64_t SweepIntervalMs(const LedgerOptions& o) {
  return o.reservation_timeout_ms / 4 > 1'000 ? o.reservation_timeout_ms / 4 : 1'000;
}

// Logs every alert (a JSON warning line) and hands it to sink (may be empty). Call after the
// transaction that recorded the alerts committed.
void EmitAlerts(const std::vector<LedgerAlert>& alerts, const AlertSink& sink);

}  // namespace ingestd
