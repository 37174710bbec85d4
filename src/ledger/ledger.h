// Ledger: the cost ledger every paid call goes through (DESIGN.md §6). Before a call the
// caller reserves the estimate; the reservation succeeds only if every limit the call counts
// against (service daily/hourly USD, service hourly requests, the daily total, the user's
// daily budget) still has room for it, decided atomically so concurrent workers and
// processes never overshoot. After the call the caller settles with the provider's usage,
// or releases on failure. Money is integer nano-dollars (1e-9 USD): token prices such as
// $0.02 / 1M tokens are exact (20 nanos per token) and sums never drift.
//
// A reservation lives until its expiry, which its holder sets (ReserveRequest::expires_at_ms)
// and moves on while the call is alive (Extend; ReservationKeeper does it for calls in
// progress). One whose holder stopped extending it lapses: the sweep releases it or charges
// its estimate, as the holder chose (OnExpiry), and keeps a tombstone so that a settle
// arriving late still records the spend in full (never dropped, never counted twice).
//
// Thread safety: implementations are safe to call from many threads and processes at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/status.h"
#include "ledger/price_table.h"

namespace ingestd {

// Limits of one service ("parse", "embed"); unset means no limit.
struct ServiceLimits {
  std::optional<double> daily_usd;
  std::optional<double> hourly_usd;
  std::optional<int64_t> hourly_requests;
};

struct LedgerOptions {
  std::optional<double> daily_usd;  // all services together, per UTC day
  ServiceLimits parse;
  ServiceLimits embed;
  std::optional<double> user_daily_usd;  // per user, per UTC day
  PriceTable prices;
  // The expiry of a reservation whose request sets none: now + this. Holders of calls in
  // progress extend it (ReservationKeeper), so only a dead holder's reservation lapses, at
  // most this long after its last extension.
  int64_t reservation_timeout_ms = 15 * 60 * 1000;
  // How long a lapsed reservation's tombstone is kept for a late Settle or Release.
  int64_t lapsed_retention_ms = 7 * 24 * 3600 * 1000LL;
  // When only other callers' open reservations (not spend) block a reservation, retry this
  // soon: they settle or release within a call's duration.
  int64_t reserved_retry_ms = 5'000;
  // The priority reserve: the last priority_reserve_pct % of every USD limit (the daily
  // total, each service's daily and hourly, the user's daily; not the hourly request count,
  // which is a rate, not money) is only for reservations whose processing_priority >=
  // priority_min. Below it, a reservation is refused at the reduced limit as if the window
  // were full (retryable, at the window's end). 0: nothing held back.
  int priority_reserve_pct = 0;
  int priority_min = 1;  // the default job priority, 0, is below it

  const ServiceLimits* LimitsFor(const std::string& service) const;
};

// What the sweep does with a reservation that lapsed (its holder stopped extending it).
enum class OnExpiry {
  // Give it back: the call was not billed, or a retry will settle what the provider
  // reports for it (a recorded LlamaParse job that the retry resumes).
  kRelease,
  // Charge the estimate: the call may have been billed, and a retry pays again (an
  // embeddings request whose answer died with its process).
  kCharge,
};

struct ReserveRequest {
  std::string service;  // "parse" | "embed"
  int64_t estimate_nanos = 0;
  std::string user_id;  // empty: no per-user limit applies
  std::string job_id;
  std::string correlation_id;
  // When the reservation lapses unless extended or finished before; 0: now +
  // LedgerOptions::reservation_timeout_ms. A holder that waits longer than that without a
  // thread to extend it (a parked provider job) sets its own deadline here.
  int64_t expires_at_ms = 0;
  OnExpiry on_expiry = OnExpiry::kRelease;
  // The job's processing_priority: below LedgerOptions::priority_min, the priority reserve
  // of each USD limit is out of reach.
  int processing_priority = 0;
};

struct Reservation {
  std::string id;
  int64_t estimate_nanos = 0;
};

// What the provider reported for a finished call.
struct Usage {
  int64_t cost_nanos = 0;
  int64_t units = 0;       // pages or tokens
  std::string unit;        // "pages" | "tokens"
  std::string model;       // e.g. "text-embedding-3-small"
  bool cache_hit = false;  // the provider served it free (no zero-cost alert)
};

// An 80% / 95% / exhausted crossing of one limit window, a paid call settled at $0, or a
// settle above what its reservation held (cost_overrun: one per window it left above its
// limit, with that window's spent and limit; or, when none, one for the service with
// spent = the actual cost and limit = what the reservation held).
struct LedgerAlert {
  std::string kind;    // "pct80" | "pct95" | "exhausted" | "zero_cost" | "cost_overrun"
  std::string scope;   // "total" | "parse" | "embed" | "user:<id>"
  std::string metric;  // "usd" | "requests" ("" for zero_cost)
  int64_t window_start_ms = 0;
  int64_t spent = 0;  // nanos or requests
  int64_t limit = 0;
  std::string reservation_id;
  std::string job_id;
  std::string correlation_id;
};

// One limit window as it stands.
struct WindowState {
  std::string scope;
  std::string metric;  // "usd" (nanos) | "requests"
  int64_t window_start_ms = 0;
  int64_t window_end_ms = 0;
  int64_t limit = 0;
  int64_t spent = 0;
  int64_t reserved = 0;
};

struct CostQuery {
  int64_t from_ms = 0;               // inclusive
  int64_t to_ms = 0;                 // exclusive
  std::string group_by = "service";  // service | user | day | hour | job
  std::string user_id;               // only this user's spend; empty: everyone's
  std::string service;               // only this service's spend; empty: every service's
};

struct CostRow {
  std::string group;  // service name, user id, job id, or the window start (RFC 3339)
  int64_t cost_nanos = 0;
  int64_t calls = 0;
  int64_t units = 0;
};

struct CostReport {
  std::vector<CostRow> rows;
  int64_t open_reservations = 0;  // not lapsed
  int64_t open_reserved_nanos = 0;
};

class Ledger {
 public:
  virtual ~Ledger() = default;

  // Reserves the estimate against every applicable limit, or fails with kBudgetExceeded /
  // "BUDGET_EXCEEDED": retryable with retry_after_ms() = time until the start of the next
  // window with room (not retryable, "BUDGET_ESTIMATE_TOO_LARGE", when the estimate alone
  // exceeds a limit, or, below priority_min, what the priority reserve leaves of one). Store
  // failures come back as their Status (DB_BUSY is retryable).
  virtual Result<Reservation> Reserve(const ReserveRequest& request) = 0;
  // Replaces the reservation by the actual usage, recorded in full whatever the reservation
  // held. A lapsed reservation is settled too: its lapse charge (if any) is replaced by
  // `actual`. When actual is above what the reservation still held (its estimate; after a
  // lapse, what the lapse charged), "cost_overrun" is raised. kNotFound /
  // "RESERVATION_NOT_FOUND" when it was already settled or released (or never existed, or its
  // tombstone outlived lapsed_retention_ms).
  virtual Status Settle(const std::string& reservation_id, const Usage& actual) = 0;
  // Gives the reservation back unspent (the call failed, nothing was billed); a lapse charge
  // is undone. Same kNotFound as Settle.
  virtual Status Release(const std::string& reservation_id) = 0;
  // Moves the expiry of each open reservation in ids to at least expires_at_ms (never
  // earlier). Returns how many were open; a lapsed or finished one is not revived.
  virtual Result<int64_t> Extend(const std::vector<std::string>& ids, int64_t expires_at_ms) = 0;
  // Lapses the open reservations past their expiry, each as its OnExpiry says, and forgets
  // tombstones older than lapsed_retention_ms. Returns how many lapsed now. Reserve also
  // sweeps now and then on its own.
  virtual Result<int64_t> SweepExpired() = 0;

  // The windows covering the current hour and day, for reports and health views.
  virtual Result<std::vector<WindowState>> CurrentWindows() = 0;
  virtual Result<CostReport> Costs(const CostQuery& query) = 0;
  virtual Result<std::vector<LedgerAlert>> RecentAlerts(int64_t since_ms) = 0;
};

// Receives every alert once (after the transaction that raised it committed).
using AlertSink = std::function<void(const LedgerAlert&)>;

}  // namespace ingestd
