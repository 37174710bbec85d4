// SqliteLedger: the Ledger on a SQLite file, normally the store's own database (its tables
// are prefixed ledger_ and migrated by the ledger itself), so every process that opens the
// file sees one truth. Reserve runs in a BEGIN IMMEDIATE transaction whose decision is a
// single conditional UPDATE over every window (sqlite_ledger_sql.h: kReserve).
//
// Thread safety: one connection behind a mutex; many instances (threads or processes) may
// share the file, serialized by SQLite's write lock and busy timeout.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "db/sqlite_db.h"
#include "ledger/ledger.h"
#include "ledger/ledger_rules.h"

namespace ingestd {

class SqliteLedger final : public Ledger {
 public:
  // clock must outlive the ledger; sink (optional) hears every alert after it committed.
  static Result<std::unique_ptr<SqliteLedger>> Open(const std::string& path, Clock* clock,
                                                    LedgerOptions options,
                                                    AlertSink sink = nullptr);

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
  SqliteLedger(std::unique_ptr<sqlite::SqliteConn> conn, Clock* clock, LedgerOptions options,
               AlertSink sink);
  // Settles (settle=true) or releases; alerts raised are appended to *alerts.
  Status Finish(const std::string& reservation_id, const Usage* actual,
                std::vector<LedgerAlert>* alerts);
  // Records the 80% / 95% / exhausted crossings of the windows reservation id settled into
  // (each once per window) and appends the ones recorded now to *alerts.
  Status RaiseThresholdAlerts(const std::string& id, const std::string& job,
                              const std::string& correlation, int64_t now,
                              std::vector<LedgerAlert>* alerts);
  void SweepIfDue(int64_t now_ms);
  // Lapses one expired reservation in its own transaction; false when it was finished or
  // lapsed meanwhile.
  Result<bool> Lapse(const Expired& expired, int64_t now);
  // Inside a transaction (mu_ held): one alert row (window_key null: never deduplicated);
  // *inserted (optional) tells whether UNIQUE (window_key, kind) let it in.
  Status InsertAlert(const LedgerAlert& alert, const std::string* window_key, int64_t now,
                     bool* inserted);
  // A reservation row as read inside a transaction (mu_ held).
  struct StoredReservation {
    std::string id, service, user, job, correlation;
    int64_t estimate = 0;
    bool lapsed = false;
    int64_t charged = 0;  // what its lapse charged
  };
  Result<std::optional<StoredReservation>> ReadReservation(const std::string& id);
  Status InsertSpend(const StoredReservation& r, const Usage& usage, int64_t now);

  Clock* const clock_;
  const LedgerOptions options_;
  const AlertSink sink_;
  std::mutex mu_;
  std::unique_ptr<sqlite::SqliteConn> conn_;  // guarded by mu_
  std::set<std::string> ensured_;             // window rows known to exist; guarded by mu_
  int64_t next_sweep_ms_ = 0;                 // guarded by mu_
};

}  // namespace ingestd
