#include "ledger/pg_ledger.h"

#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "core/log.h"
#include "db/pg_subsystem_db.h"
#include "ledger/ledger_rules.h"
#include "ledger/pg_ledger_sql.h"
#include "ledger/windows.h"

namespace ingestd {
namespace {

namespace sql = pg_ledger_sql;
using pg::BatchItem;
using pg::PgConn;
using pg::PgParams;
using pg::PgResult;

constexpr size_t kMaxEnsuredKeys = 4096;

// A reservation's attempt inside one transaction (run again on a deadlock).
struct ReserveOutcome {
  bool ok = false;
  Refusal refusal;
  std::vector<LedgerAlert> raised;  // the refusal's alerts this attempt inserted
};

WindowState ReadWindow(const PgResult& res, int row, int first_col) {
  WindowState w;
  w.scope = res.Text(row, first_col);
  w.metric = res.Text(row, first_col + 1);
  w.window_start_ms = res.Int(row, first_col + 2);
  w.window_end_ms = res.Int(row, first_col + 3);
  w.limit = res.Int(row, first_col + 4);
  w.spent = res.Int(row, first_col + 5);
  w.reserved = res.Int(row, first_col + 6);
  return w;
}

LedgerAlert ReadAlert(const PgResult& res, int row) {
  return {res.Text(row, 0), res.Text(row, 1), res.Text(row, 2), res.Int(row, 3), res.Int(row, 4),
          res.Int(row, 5),  res.Text(row, 6), res.Text(row, 7), res.Text(row, 8)};
}

std::string WindowsJson(const std::vector<WindowSpec>& windows) {
  nlohmann::json rows = nlohmann::json::array();
  for (const WindowSpec& w : windows) {
    rows.push_back({{"window_key", w.key},
                    {"scope", w.scope},
                    {"metric", w.metric},
                    {"window_start_ms", w.start_ms},
                    {"window_end_ms", w.end_ms},
                    {"limit_value", w.limit}});
  }
  return rows.dump();
}

std::string KeysJson(const std::vector<std::string>& keys) { return nlohmann::json(keys).dump(); }

// kRaiseAlert's parameters; a null window key is never deduplicated.
PgParams AlertParams(const LedgerAlert& a, int64_t now, const std::string* window_key = nullptr) {
  PgParams p;
  if (window_key != nullptr) {
    p.Add(*window_key);
  } else {
    p.AddNull();
  }
  p.Add(a.kind)
      .Add(a.scope)
      .Add(a.metric)
      .Add(a.window_start_ms)
      .Add(a.spent)
      .Add(a.limit)
      .Add(a.reservation_id)
      .Add(a.job_id)
      .Add(a.correlation_id)
      .Add(now);
  return p;
}

PgParams SpendParams(const std::string& id, const std::string& service, const std::string& user,
                     const std::string& job, const std::string& correlation, const Usage& u,
                     int64_t now) {
  PgParams p;
  p.Add(id)
      .Add(service)
      .Add(user)
      .Add(job)
      .Add(correlation)
      .Add(u.model)
      .Add(u.units)
      .Add(u.unit)
      .Add(u.cost_nanos)
      .Add(now);
  return p;
}

}  // namespace

Result<std::unique_ptr<PgLedger>> PgLedger::Open(const std::string& url, Clock* clock,
                                                 LedgerOptions options, AlertSink sink,
                                                 pg::PgPoolOptions pool) {
  std::unique_ptr<PgLedger> ledger(
      new PgLedger(url, clock, std::move(options), std::move(sink), pool));
  if (Status s = ledger->Migrate(); !s.ok()) return s;
  return ledger;
}

PgLedger::PgLedger(const std::string& url, Clock* clock, LedgerOptions options, AlertSink sink,
                   pg::PgPoolOptions pool)
    : clock_(clock), options_(std::move(options)), sink_(std::move(sink)), pool_(url, pool) {}

Status PgLedger::Migrate() {
  const char* const migrations[] = {sql::kMigration1, sql::kMigration2};
  return pg::MigrateSubsystem(pool_, "ledger", migrations);
}

bool PgLedger::AllEnsured(const std::vector<std::string>& keys) {
  std::lock_guard lock(mu_);
  for (const std::string& k : keys) {
    if (!ensured_.contains(k)) return false;
  }
  return true;
}

void PgLedger::MarkEnsured(const std::vector<std::string>& keys) {
  std::lock_guard lock(mu_);
  if (ensured_.size() > kMaxEnsuredKeys) ensured_.clear();
  ensured_.insert(keys.begin(), keys.end());
}

Result<Reservation> PgLedger::Reserve(const ReserveRequest& r) {
  if (Status s = ValidateReserve(options_, r); !s.ok()) return s;
  const int64_t now = clock_->NowMillis();
  SweepIfDue(now);
  const std::vector<WindowSpec> windows = WindowsFor(options_, r, now);
  std::vector<std::string> keys;
  for (const WindowSpec& w : windows) keys.push_back(w.key);
  const bool ensured = AllEnsured(keys);
  const Reservation reservation{NewUuidV4(), r.estimate_nanos};
  PgParams params;
  params.Add(r.estimate_nanos)
      .Add(KeysJson(keys))
      .Add(static_cast<int64_t>(keys.size()))
      .Add(reservation.id)
      .Add(r.service)
      .Add(r.user_id)
      .Add(r.job_id)
      .Add(r.correlation_id)
      .Add(now)
      .Add(ExpiresAt(options_, r, now))
      .Add(OnExpiryName(r.on_expiry))
      .Add(HeldBackJson(windows));

  auto outcome = pool_.Transaction([&](PgConn& c) -> Result<ReserveOutcome> {
    ReserveOutcome out;
    std::vector<LockedWindow> locked;
    // A window row this process believed to exist may be missing (first call of a window,
    // or a cache that outlived the rows): create the rows, then decide again.
    for (bool ensure = !ensured;; ensure = true) {
      if (ensure) {
        auto e = c.Query(sql::kEnsureWindows, PgParams().Add(WindowsJson(windows)));
        if (!e.ok()) return e.status();
      }
      auto res = c.Query(sql::kReserve, params);
      if (!res.ok()) return res.status();
      out.ok = res->rows() > 0 && res->Text(0, 0) == "t";
      if (out.ok) return out;
      locked.clear();
      for (int i = 0; i < res->rows(); ++i) {
        if (!res->IsNull(i, 8)) locked.push_back({res->Text(i, 8), ReadWindow(*res, i, 1)});
      }
      if (locked.size() == windows.size() || ensure) break;
    }
    out.refusal = Refuse(options_, r, locked, now);
    for (size_t i = 0; i < out.refusal.alerts.size(); ++i) {
      const LedgerAlert& a = out.refusal.alerts[i];
      auto raised = c.Query(sql::kRaiseAlert, AlertParams(a, now, &out.refusal.alert_keys[i]));
      if (!raised.ok()) return raised.status();
      if (raised->Affected() > 0) out.raised.push_back(a);  // else raised before
    }
    return out;
  });
  if (!outcome.ok()) return outcome.status();
  MarkEnsured(keys);
  if (outcome->ok) return reservation;
  EmitAlerts(outcome->raised, sink_);
  return outcome->refusal.status;
}

Status PgLedger::Settle(const std::string& reservation_id, const Usage& actual) {
  if (Status s = ValidateUsage(actual); !s.ok()) return s;
  std::vector<LedgerAlert> alerts;
  Status s = Finish(reservation_id, &actual, &alerts);
  EmitAlerts(alerts, sink_);
  return s;
}

Status PgLedger::Release(const std::string& reservation_id) {
  std::vector<LedgerAlert> none;
  return Finish(reservation_id, nullptr, &none);
}

Status PgLedger::Finish(const std::string& id, const Usage* actual,
                        std::vector<LedgerAlert>* alerts) {
  const int64_t now = clock_->NowMillis();
  const bool settle = actual != nullptr;
  return pool_.Transaction([&](PgConn& c) -> Status {
    alerts->clear();  // a retried attempt starts over
    // The reservation row first (a concurrent settle of the same id waits here and then
    // finds nothing), then its windows in key order.
    auto take = c.Query(sql::kTakeReservation, PgParams().Add(id));
    if (!take.ok()) return take.status();
    if (take->rows() == 0) return ReservationNotFound(id);
    const std::string service = take->Text(0, 0), user = take->Text(0, 1), job = take->Text(0, 2),
                      correlation = take->Text(0, 3);
    const bool lapsed = take->Text(0, 5) == "t";
    const int64_t held = lapsed ? take->Int(0, 6) : take->Int(0, 4);
    auto apply = c.Query(sql::kApplyHolds, PgParams()
                                               .Add(id)
                                               .Add(settle ? actual->cost_nanos : 0)
                                               .Add(settle ? "true" : "false")
                                               .Add(job)
                                               .Add(correlation)
                                               .Add(now));
    if (!apply.ok()) return apply.status();
    for (int i = 0; i < apply->rows(); ++i) {
      alerts->push_back({apply->Text(i, 0), apply->Text(i, 1), apply->Text(i, 2), apply->Int(i, 3),
                         apply->Int(i, 4), apply->Int(i, 5), id, job, correlation});
    }
    std::vector<BatchItem> batch;
    if (settle && actual->cost_nanos > held) {
      OverrunInput over{service, actual->cost_nanos, held, {}, id, job, correlation, now};
      auto res = c.Query(sql::kSelectOverruns, PgParams().Add(id));
      if (!res.ok()) return res.status();
      for (int i = 0; i < res->rows(); ++i) {
        over.over.push_back({res->Text(i, 0), res->Text(i, 1), res->Int(i, 2), 0, res->Int(i, 4),
                             res->Int(i, 3), 0});
      }
      for (const LedgerAlert& a : OverrunAlerts(over)) {
        batch.push_back({sql::kRaiseAlert, AlertParams(a, now)});
        alerts->push_back(a);
      }
    }
    batch.push_back({sql::kDeleteHolds, PgParams().Add(id)});
    if (lapsed) batch.push_back({sql::kDeleteSpend, PgParams().Add(id)});
    if (settle) {
      batch.push_back(
          {sql::kInsertSpend, SpendParams(id, service, user, job, correlation, *actual, now)});
      if (IsSuspectZeroCost(*actual)) {
        // A paid call that cost nothing means a wrong price or a provider that stopped
        // reporting usage: either way the budget no longer protects anyone.
        const LedgerAlert a{"zero_cost", service, "", now, 0, 0, id, job, correlation};
        batch.push_back({sql::kRaiseAlert, AlertParams(a, now)});
        alerts->push_back(a);
      }
    }
    auto done = c.RunBatch(batch, /*commit=*/true);
    return done.ok() ? Status() : done.status();
  });
}

Result<int64_t> PgLedger::Extend(const std::vector<std::string>& ids, int64_t expires_at_ms) {
  if (ids.empty()) return int64_t{0};
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto res = (*conn)->Query(sql::kExtend, PgParams().Add(KeysJson(ids)).Add(expires_at_ms));
  if (!res.ok()) return res.status();
  return res->Affected();
}

Result<int64_t> PgLedger::SweepExpired() {
  const int64_t now = clock_->NowMillis();
  std::vector<Expired> expired;
  {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    auto res = (*conn)->Query(sql::kSelectExpired, PgParams().Add(now));
    if (!res.ok()) return res.status();
    for (int i = 0; i < res->rows(); ++i) {
      expired.push_back({res->Text(i, 0), ParseOnExpiry(res->Text(i, 1))});
    }
  }
  auto lapsed = LapseEach(expired, [&](const Expired& e) { return Lapse(e, now); });
  if (!lapsed.ok()) return lapsed;
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto purged =
      (*conn)->Query(sql::kPurgeLapsed, PgParams().Add(now - options_.lapsed_retention_ms));
  if (!purged.ok()) return purged.status();
  return lapsed;
}

Result<bool> PgLedger::Lapse(const Expired& e, int64_t now) {
  const char* charge = e.on_expiry == OnExpiry::kCharge ? "true" : "false";
  std::vector<LedgerAlert> alerts;
  auto lapsed = pool_.Transaction([&](PgConn& c) -> Result<bool> {
    alerts.clear();  // a retried attempt starts over
    auto mark = c.Query(sql::kLapseReservation, PgParams().Add(e.id).Add(charge).Add(now));
    if (!mark.ok()) return mark.status();
    if (mark->rows() == 0) return false;  // finished or lapsed meanwhile
    const std::string service = mark->Text(0, 0), user = mark->Text(0, 1), job = mark->Text(0, 2),
                      correlation = mark->Text(0, 3);
    auto holds =
        c.Query(sql::kLapseHolds,
                PgParams().Add(e.id).Add(charge).Add(charge).Add(job).Add(correlation).Add(now));
    if (!holds.ok()) return holds.status();
    for (int i = 0; i < holds->rows(); ++i) {
      alerts.push_back({holds->Text(i, 0), holds->Text(i, 1), holds->Text(i, 2), holds->Int(i, 3),
                        holds->Int(i, 4), holds->Int(i, 5), e.id, job, correlation});
    }
    std::vector<BatchItem> batch;
    if (e.on_expiry == OnExpiry::kCharge) {
      const Usage estimated{mark->Int(0, 4), 0, "estimate", "", false};
      batch.push_back(
          {sql::kInsertSpend, SpendParams(e.id, service, user, job, correlation, estimated, now)});
    }
    auto done = c.RunBatch(batch, /*commit=*/true);
    if (!done.ok()) return done.status();
    return true;
  });
  if (lapsed.ok()) EmitAlerts(alerts, sink_);
  return lapsed;
}

void PgLedger::SweepIfDue(int64_t now_ms) {
  {
    std::lock_guard lock(mu_);
    if (now_ms < next_sweep_ms_) return;
    next_sweep_ms_ = now_ms + SweepIntervalMs(options_);
  }
  auto swept = SweepExpired();
  if (!swept.ok()) log::Warn("expired reservation sweep failed", {{"code", swept.status().code()}});
}

Result<std::vector<WindowState>> PgLedger::CurrentWindows() {
  const int64_t now = clock_->NowMillis();
  std::vector<WindowState> out;
  {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    auto res = (*conn)->Query(sql::kSelectCurrentWindows, PgParams().Add(now));
    if (!res.ok()) return res.status();
    for (int i = 0; i < res->rows(); ++i) out.push_back(ReadWindow(*res, i, 0));
  }
  AddUntouchedWindows(options_, now, &out);
  return out;
}

Result<CostReport> PgLedger::Costs(const CostQuery& q) {
  auto group = ParseCostGroup(q.group_by);
  if (!group.ok()) return group.status();
  const char* const kByGroup[] = {sql::kCostsByService, sql::kCostsByUser, sql::kCostsByJob,
                                  sql::kCostsByDay, sql::kCostsByHour};
  const char* query = kByGroup[static_cast<int>(*group)];
  return pool_.Transaction([&](PgConn& c) -> Result<CostReport> {
    if (Status s = c.Exec(sql::kReadSnapshot); !s.ok()) return s;  // one snapshot for both
    auto rows =
        c.Query(query, PgParams().Add(q.from_ms).Add(q.to_ms).Add(q.user_id).Add(q.service));
    if (!rows.ok()) return rows.status();
    CostReport report;
    for (int i = 0; i < rows->rows(); ++i) {
      report.rows.push_back(
          {IsTimeGroup(*group) ? FormatRfc3339(rows->Int(i, 0)) : rows->Text(i, 0), rows->Int(i, 1),
           rows->Int(i, 2), rows->Int(i, 3)});
    }
    auto open = c.Query(sql::kOpenReservations, PgParams());
    if (!open.ok()) return open.status();
    report.open_reservations = open->Int(0, 0);
    report.open_reserved_nanos = open->Int(0, 1);
    return report;
  });
}

Result<std::vector<LedgerAlert>> PgLedger::RecentAlerts(int64_t since_ms) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto res = (*conn)->Query(sql::kSelectAlertsSince, PgParams().Add(since_ms));
  if (!res.ok()) return res.status();
  std::vector<LedgerAlert> out;
  for (int i = 0; i < res->rows(); ++i) out.push_back(ReadAlert(*res, i));
  return out;
}

}  // namespace ingestd
