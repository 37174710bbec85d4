// PgLedger: the Ledger on PostgreSQL, in the store's database (its own ledger_* tables and
// ledger_migrations, migrated under an advisory lock), so every process on every machine
// that uses that database shares one budget. Same semantics as SqliteLedger; the
// reservation is one statement that locks every window of the call in key order and updates
// them only if all have room (pg_ledger_sql.h: kReserve), so concurrent callers never
// overshoot and never deadlock each other.
//
// Thread safety: every call borrows a connection from the ledger's own PgPool for its
// duration; transactions that hit a deadlock or serialization failure are run again.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "core/clock.h"
#include "db/pg_pool.h"
#include "ledger/ledger.h"
#include "ledger/ledger_rules.h"

namespace ingestd {

class PgLedger final : public Ledger {
 public:
  // url: a libpq URL (postgres:// or postgresql://). Connects once and applies the ledger's
  // migrations. clock must outlive the ledger; sink (optional) hears every alert after it
  // committed. Failures: the pool's kUnavailable DB_UNAVAILABLE / DB_BUSY, or DB_ERROR.
  static Result<std::unique_ptr<PgLedger>> Open(const std::string& url, Clock* clock,
                                                LedgerOptions options, AlertSink sink = nullptr,
                                                pg::PgPoolOptions pool = {.max_size = 4});

  Result<Reservation> Reserve(const ReserveRequest& request) override;
  Status Settle(const std::string& reservation_id, const Usage& actual) override;
  Status Release(const std::string& reservation_id) override;
  Result<int64_t> Extend(const std::vector<std::string>& ids, int64_t expires_at_ms) override;
  Result<int64_t> SweepExpired() override;
  Result<std::vector<WindowState>> CurrentWindows() override;
  Result<CostReport> Costs(const CostQuery& query) override;
  Result<std::vector<LedgerAlert>> RecentAlerts(int64_t since_ms) override;

  const LedgerOptions& options() const { return options_; }

 private:
  PgLedger(const std::string& url, Clock* clock, LedgerOptions options, AlertSink sink,
           pg::PgPoolOptions pool);
  Status Migrate();
  // Settles (actual != nullptr) or releases; alerts raised are appended to *alerts.
  Status Finish(const std::string& reservation_id, const Usage* actual,
                std::vector<LedgerAlert>* alerts);
  void SweepIfDue(int64_t now_ms);
  // Lapses one expired reservation in its own transaction; false when it was finished or
  // lapsed meanwhile.
  Result<bool> Lapse(const Expired& expired, int64_t now);
  // Whether every key is known to have its window row (saves the upsert on most calls).
  bool AllEnsured(const std::vector<std::string>& keys);
  void MarkEnsured(const std::vector<std::string>& keys);

  Clock* const clock_;
  const LedgerOptions options_;
  const AlertSink sink_;
  pg::PgPool pool_;
  std::mutex mu_;
  std::set<std::string> ensured_;  // guarded by mu_
  int64_t next_sweep_ms_ = 0;      // guarded by mu_
};

}  // namespace ingestd
