#include "ledger/sqlite_ledger.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "core/log.h"
#include "db/sqlite_subsystem_db.h"
#include "ledger/ledger_rules.h"
#include "ledger/sqlite_ledger_sql.h"
#include "ledger/windows.h"

namespace ingestd {
namespace {

using sqlite::SqliteConn;
using sqlite::Stmt;
using sqlite::Txn;

constexpr int kBusyTimeoutMs = 10'000;
constexpr size_t kMaxEnsuredKeys = 4096;

std::string KeysJson(const std::vector<WindowSpec>& windows) {
  nlohmann::json keys = nlohmann::json::array();
  for (const WindowSpec& w : windows) keys.push_back(w.key);
  return keys.dump();
}

WindowState ReadWindow(const Stmt& row) {
  WindowState w;
  w.scope = row.Text(0);
  w.metric = row.Text(1);
  w.window_start_ms = row.Int(2);
  w.window_end_ms = row.Int(3);
  w.limit = row.Int(4);
  w.spent = row.Int(5);
  w.reserved = row.Int(6);
  return w;
}

}  // namespace

Result<std::unique_ptr<SqliteLedger>> SqliteLedger::Open(const std::string& path, Clock* clock,
                                                         LedgerOptions options, AlertSink sink) {
  auto conn = sqlite::OpenSubsystemDb(path, kBusyTimeoutMs);
  if (!conn.ok()) return conn.status();
  const char* const migrations[] = {ledger_sql::kMigration1, ledger_sql::kMigration2};
  if (Status s = sqlite::MigrateSubsystem(**conn, "ledger", migrations); !s.ok()) return s;
  std::unique_ptr<SqliteLedger> ledger(
      new SqliteLedger(std::move(*conn), clock, std::move(options), std::move(sink)));
  return ledger;
}

SqliteLedger::SqliteLedger(std::unique_ptr<SqliteConn> conn, Clock* clock, LedgerOptions options,
                           AlertSink sink)
    : clock_(clock), options_(std::move(options)), sink_(std::move(sink)), conn_(std::move(conn)) {}

Result<Reservation> SqliteLedger::Reserve(const ReserveRequest& r) {
  if (Status s = ValidateReserve(options_, r); !s.ok()) return s;
  const int64_t now = clock_->NowMillis();
  SweepIfDue(now);
  const std::vector<WindowSpec> windows = WindowsFor(options_, r, now);
  const std::string keys = KeysJson(windows);
  std::vector<LedgerAlert> alerts;
  Reservation reservation{NewUuidV4(), r.estimate_nanos};
  {
    std::lock_guard lock(mu_);
    auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
    if (!txn.ok()) return txn.status();
    for (const WindowSpec& w : windows) {
      if (ensured_.contains(w.key)) continue;
      auto ensure = conn_->Prepare(ledger_sql::kEnsureWindow);
      if (!ensure.ok()) return ensure.status();
      Status s = ensure->Bind(1, w.key)
                     .Bind(2, w.scope)
                     .Bind(3, w.metric)
                     .Bind(4, w.start_ms)
                     .Bind(5, w.end_ms)
                     .Bind(6, w.limit)
                     .Run();
      if (!s.ok()) return s;
    }
    auto reserve = conn_->Prepare(ledger_sql::kReserve);
    if (!reserve.ok()) return reserve.status();
    Status reserved = reserve->Bind(1, r.estimate_nanos).Bind(2, HeldBackJson(windows)).Run();
    if (!reserved.ok()) return reserved;
    if (conn_->Changes() != static_cast<int64_t>(windows.size())) {
      // No room: find the windows in the way and when each will have room again.
      auto sel = conn_->Prepare(ledger_sql::kSelectWindowsByKey);
      if (!sel.ok()) return sel.status();
      sel->Bind(1, keys);
      std::vector<LockedWindow> locked;
      Status rows = sel->ForEachRow([&] { locked.push_back({sel->Text(7), ReadWindow(*sel)}); });
      if (!rows.ok()) return rows;
      Refusal refusal = Refuse(options_, r, locked, now);
      for (size_t i = 0; i < refusal.alerts.size(); ++i) {
        bool inserted = false;
        Status s = InsertAlert(refusal.alerts[i], &refusal.alert_keys[i], now, &inserted);
        if (!s.ok()) return s;
        if (inserted) alerts.push_back(refusal.alerts[i]);  // else raised before
      }
      if (Status s = txn->Commit(); !s.ok()) return s;
      for (const WindowSpec& w : windows) ensured_.insert(w.key);
      EmitAlerts(alerts, sink_);
      return refusal.status;
    }
    auto insert = conn_->Prepare(ledger_sql::kInsertReservation);
    if (!insert.ok()) return insert.status();
    Status s = insert->Bind(1, reservation.id)
                   .Bind(2, r.service)
                   .Bind(3, r.user_id)
                   .Bind(4, r.job_id)
                   .Bind(5, r.correlation_id)
                   .Bind(6, r.estimate_nanos)
                   .Bind(7, now)
                   .Bind(8, ExpiresAt(options_, r, now))
                   .Bind(9, OnExpiryName(r.on_expiry))
                   .Run();
    if (!s.ok()) return s;
    if (!windows.empty()) {
      auto holds = conn_->Prepare(ledger_sql::kInsertHolds);
      if (!holds.ok()) return holds.status();
      s = holds->Bind(1, reservation.id).Bind(2, r.estimate_nanos).Bind(3, keys).Run();
      if (!s.ok()) return s;
    }
    if (s = txn->Commit(); !s.ok()) return s;
    if (ensured_.size() > kMaxEnsuredKeys) ensured_.clear();
    for (const WindowSpec& w : windows) ensured_.insert(w.key);
  }
  return reservation;
}

Status SqliteLedger::Settle(const std::string& reservation_id, const Usage& actual) {
  if (Status s = ValidateUsage(actual); !s.ok()) return s;
  std::vector<LedgerAlert> alerts;
  Status s;
  {
    std::lock_guard lock(mu_);
    s = Finish(reservation_id, &actual, &alerts);
  }
  EmitAlerts(alerts, sink_);
  return s;
}

Status SqliteLedger::Release(const std::string& reservation_id) {
  std::lock_guard lock(mu_);
  return Finish(reservation_id, nullptr, nullptr);
}

Status SqliteLedger::InsertAlert(const LedgerAlert& a, const std::string* window_key, int64_t now,
                                 bool* inserted) {
  auto raise = conn_->Prepare(ledger_sql::kRaiseAlert);
  if (!raise.ok()) return raise.status();
  if (window_key != nullptr) {
    raise->Bind(1, *window_key);
  } else {
    raise->BindNull(1);
  }
  Status s = raise->Bind(2, a.kind)
                 .Bind(3, a.scope)
                 .Bind(4, a.metric)
                 .Bind(5, a.window_start_ms)
                 .Bind(6, a.spent)
                 .Bind(7, a.limit)
                 .Bind(8, a.reservation_id)
                 .Bind(9, a.job_id)
                 .Bind(10, a.correlation_id)
                 .Bind(11, now)
                 .Run();
  if (s.ok() && inserted != nullptr) *inserted = conn_->Changes() > 0;
  return s;
}

Status SqliteLedger::Finish(const std::string& id, const Usage* actual,
                            std::vector<LedgerAlert>* alerts) {
  const int64_t now = clock_->NowMillis();
  auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  auto found = ReadReservation(id);
  if (!found.ok()) return found.status();
  if (!*found) return ReservationNotFound(id);
  const StoredReservation& r = **found;
  auto del = conn_->Prepare(ledger_sql::kDeleteReservation);
  if (!del.ok()) return del.status();
  if (Status s = del->Bind(1, id).Run(); !s.ok()) return s;

  auto apply = conn_->Prepare(ledger_sql::kApplyHolds);
  if (!apply.ok()) return apply.status();
  Status s =
      apply->Bind(1, id).Bind(2, actual ? actual->cost_nanos : 0).Bind(3, actual ? 1 : 0).Run();
  if (!s.ok()) return s;
  if (actual != nullptr) {
    if (s = RaiseThresholdAlerts(id, r.job, r.correlation, now, alerts); !s.ok()) return s;
    const int64_t held = r.lapsed ? r.charged : r.estimate;
    if (actual->cost_nanos > held) {
      OverrunInput over{r.service, actual->cost_nanos, held, {}, id, r.job, r.correlation, now};
      auto sel = conn_->Prepare(ledger_sql::kSelectOverruns);
      if (!sel.ok()) return sel.status();
      sel->Bind(1, id);
      Status rows = sel->ForEachRow([&] {
        over.over.push_back(
            {sel->Text(0), sel->Text(1), sel->Int(2), 0, sel->Int(4), sel->Int(3), 0});
      });
      if (!rows.ok()) return rows;
      for (const LedgerAlert& a : OverrunAlerts(over)) {
        if (s = InsertAlert(a, nullptr, now, nullptr); !s.ok()) return s;
        alerts->push_back(a);
      }
    }
  }
  auto drop = conn_->Prepare(ledger_sql::kDeleteHolds);
  if (!drop.ok()) return drop.status();
  if (s = drop->Bind(1, id).Run(); !s.ok()) return s;
  if (r.lapsed) {  // the lapse's charge row gives way to the final one
    auto old = conn_->Prepare(ledger_sql::kDeleteSpend);
    if (!old.ok()) return old.status();
    if (s = old->Bind(1, id).Run(); !s.ok()) return s;
  }
  if (actual != nullptr) {
    if (s = InsertSpend(r, *actual, now); !s.ok()) return s;
    if (IsSuspectZeroCost(*actual)) {
      // A paid call that cost nothing means a wrong price or a provider that stopped
      // reporting usage: either way the budget no longer protects anyone.
      const LedgerAlert a{"zero_cost", r.service, "", now, 0, 0, id, r.job, r.correlation};
      if (s = InsertAlert(a, nullptr, now, nullptr); !s.ok()) return s;
      alerts->push_back(a);
    }
  }
  return txn->Commit();
}

Result<std::optional<SqliteLedger::StoredReservation>> SqliteLedger::ReadReservation(
    const std::string& id) {
  auto take = conn_->Prepare(ledger_sql::kSelectReservation);
  if (!take.ok()) return take.status();
  auto row = take->Bind(1, id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<StoredReservation>();
  return std::optional<StoredReservation>(
      StoredReservation{id, take->Text(0), take->Text(1), take->Text(2), take->Text(3),
                        take->Int(4), take->Int(5) != 0, take->Int(6)});
}

Status SqliteLedger::InsertSpend(const StoredReservation& r, const Usage& u, int64_t now) {
  auto spend = conn_->Prepare(ledger_sql::kInsertSpend);
  if (!spend.ok()) return spend.status();
  return spend->Bind(1, r.id)
      .Bind(2, r.service)
      .Bind(3, r.user)
      .Bind(4, r.job)
      .Bind(5, r.correlation)
      .Bind(6, u.model)
      .Bind(7, u.units)
      .Bind(8, u.unit)
      .Bind(9, u.cost_nanos)
      .Bind(10, now)
      .Run();
}

Status SqliteLedger::RaiseThresholdAlerts(const std::string& id, const std::string& job,
                                          const std::string& correlation, int64_t now,
                                          std::vector<LedgerAlert>* alerts) {
  static constexpr std::pair<const char*, int> kThresholds[] = {
      {"pct80", 80}, {"pct95", 95}, {"exhausted", 100}};
  std::vector<std::pair<std::string, LedgerAlert>> crossed;  // window key, alert
  {
    auto sel = conn_->Prepare(ledger_sql::kSelectCrossings);
    if (!sel.ok()) return sel.status();
    sel->Bind(1, id);
    Status rows = sel->ForEachRow([&] {
      const int64_t spent = sel->Int(4), limit = sel->Int(5);
      for (const auto& [kind, pct] : kThresholds) {
        if (spent * 100 < limit * pct) break;
        crossed.push_back(
            {sel->Text(0),
             {kind, sel->Text(1), sel->Text(2), sel->Int(3), spent, limit, id, job, correlation}});
      }
    });
    if (!rows.ok()) return rows;
  }
  for (const auto& [key, a] : crossed) {
    bool inserted = false;
    if (Status s = InsertAlert(a, &key, now, &inserted); !s.ok()) return s;
    if (inserted) alerts->push_back(a);  // else raised before
  }
  return Status();
}

Result<int64_t> SqliteLedger::Extend(const std::vector<std::string>& ids, int64_t expires_at_ms) {
  if (ids.empty()) return int64_t{0};
  std::lock_guard lock(mu_);
  auto ext = conn_->Prepare(ledger_sql::kExtend);
  if (!ext.ok()) return ext.status();
  Status s = ext->Bind(1, nlohmann::json(ids).dump()).Bind(2, expires_at_ms).Run();
  if (!s.ok()) return s;
  return conn_->Changes();
}

Result<int64_t> SqliteLedger::SweepExpired() {
  const int64_t now = clock_->NowMillis();
  std::vector<Expired> expired;
  {
    std::lock_guard lock(mu_);
    auto sel = conn_->Prepare(ledger_sql::kSelectExpired);
    if (!sel.ok()) return sel.status();
    sel->Bind(1, now);
    Status rows = sel->ForEachRow([&] {
      expired.push_back({sel->Text(0), ParseOnExpiry(sel->Text(1))});
    });
    if (!rows.ok()) return rows;
  }
  auto lapsed = LapseEach(expired, [&](const Expired& e) { return Lapse(e, now); });
  if (!lapsed.ok()) return lapsed;
  std::lock_guard lock(mu_);
  for (const char* sql : {ledger_sql::kPurgeLapsedHolds, ledger_sql::kPurgeLapsed}) {
    auto purge = conn_->Prepare(sql);
    if (!purge.ok()) return purge.status();
    if (Status s = purge->Bind(1, now - options_.lapsed_retention_ms).Run(); !s.ok()) return s;
  }
  return lapsed;
}

Result<bool> SqliteLedger::Lapse(const Expired& e, int64_t now) {
  const bool charge = e.on_expiry == OnExpiry::kCharge;
  std::vector<LedgerAlert> alerts;
  {
    std::lock_guard lock(mu_);
    auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
    if (!txn.ok()) return txn.status();
    auto found = ReadReservation(e.id);
    if (!found.ok()) return found.status();
    if (!*found || (*found)->lapsed) return false;  // finished or lapsed meanwhile
    const StoredReservation& r = **found;
    for (const char* sql : {ledger_sql::kLapseWindows, ledger_sql::kLapseHolds}) {
      auto step = conn_->Prepare(sql);
      if (!step.ok()) return step.status();
      if (Status s = step->Bind(1, e.id).Bind(2, charge ? 1 : 0).Run(); !s.ok()) return s;
    }
    auto mark = conn_->Prepare(ledger_sql::kLapseReservation);
    if (!mark.ok()) return mark.status();
    if (Status s = mark->Bind(1, e.id).Bind(2, charge ? 1 : 0).Bind(3, now).Run(); !s.ok()) {
      return s;
    }
    if (charge) {
      if (Status s = RaiseThresholdAlerts(e.id, r.job, r.correlation, now, &alerts); !s.ok()) {
        return s;
      }
      const Usage estimated{r.estimate, 0, "estimate", "", false};
      if (Status s = InsertSpend(r, estimated, now); !s.ok()) return s;
    }
    if (Status s = txn->Commit(); !s.ok()) return s;
  }
  EmitAlerts(alerts, sink_);
  return true;
}

void SqliteLedger::SweepIfDue(int64_t now_ms) {
  {
    std::lock_guard lock(mu_);
    if (now_ms < next_sweep_ms_) return;
    next_sweep_ms_ = now_ms + SweepIntervalMs(options_);
  }
  auto swept = SweepExpired();
  if (!swept.ok()) log::Warn("expired reservation sweep failed", {{"code", swept.status().code()}});
}

Result<std::vector<WindowState>> SqliteLedger::CurrentWindows() {
  const int64_t now = clock_->NowMillis();
  std::vector<WindowState> out;
  {
    std::lock_guard lock(mu_);
    auto sel = conn_->Prepare(ledger_sql::kSelectCurrentWindows);
    if (!sel.ok()) return sel.status();
    sel->Bind(1, now);
    Status rows = sel->ForEachRow([&] { out.push_back(ReadWindow(*sel)); });
    if (!rows.ok()) return rows;
  }
  AddUntouchedWindows(options_, now, &out);
  return out;
}

Result<CostReport> SqliteLedger::Costs(const CostQuery& q) {
  auto group = ParseCostGroup(q.group_by);
  if (!group.ok()) return group.status();
  const char* const kByGroup[] = {ledger_sql::kCostsByService, ledger_sql::kCostsByUser,
                                  ledger_sql::kCostsByJob, ledger_sql::kCostsByDay,
                                  ledger_sql::kCostsByHour};
  const char* sql = kByGroup[static_cast<int>(*group)];
  const bool by_time = IsTimeGroup(*group);
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kDeferred);  // one snapshot for both reads
  if (!txn.ok()) return txn.status();
  CostReport report;
  auto sel = conn_->Prepare(sql);
  if (!sel.ok()) return sel.status();
  sel->Bind(1, q.from_ms).Bind(2, q.to_ms).Bind(3, q.user_id).Bind(4, q.service);
  Status rows = sel->ForEachRow([&] {
    report.rows.push_back({by_time ? FormatRfc3339(sel->Int(0)) : sel->Text(0), sel->Int(1),
                           sel->Int(2), sel->Int(3)});
  });
  if (!rows.ok()) return rows;
  auto open = conn_->Prepare(ledger_sql::kOpenReservations);
  if (!open.ok()) return open.status();
  auto row = open->Step();
  if (!row.ok()) return row.status();
  report.open_reservations = open->Int(0);
  report.open_reserved_nanos = open->Int(1);
  return report;
}

Result<std::vector<LedgerAlert>> SqliteLedger::RecentAlerts(int64_t since_ms) {
  std::lock_guard lock(mu_);
  auto sel = conn_->Prepare(ledger_sql::kSelectAlertsSince);
  if (!sel.ok()) return sel.status();
  sel->Bind(1, since_ms);
  std::vector<LedgerAlert> out;
  Status rows = sel->ForEachRow([&] {
    out.push_back({sel->Text(0), sel->Text(1), sel->Text(2), sel->Int(3), sel->Int(4), sel->Int(5),
                   sel->Text(6), sel->Text(7), sel->Text(8)});
  });
  if (!rows.ok()) return rows;
  return out;
}

}  // namespace ingestd
