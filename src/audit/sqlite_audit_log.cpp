#include "audit/sqlite_audit_log.h"

#include "audit/audit_filter.h"
#include "db/sqlite_subsystem_db.h"

namespace ingestd {
namespace {

using sqlite::SqliteConn;
using sqlite::Stmt;
using sqlite::Txn;

constexpr int kBusyTimeoutMs = 10'000;

// Schema versions of MigrateSubsystem: append, never edit an applied one.
constexpr char kMigration1[] = R"sql(
CREATE TABLE audit_calls (
  audit_id       INTEGER PRIMARY KEY,
  at_ms          INTEGER NOT NULL,
  correlation_id TEXT NOT NULL,
  job_id         TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  service        TEXT NOT NULL,
  provider       TEXT NOT NULL,
  operation      TEXT NOT NULL,
  key_id         TEXT NOT NULL,
  model          TEXT NOT NULL,
  inputs         INTEGER NOT NULL,
  tokens         INTEGER NOT NULL,
  pages          INTEGER NOT NULL,
  cost_nanos     INTEGER NOT NULL,
  http_status    INTEGER NOT NULL,
  error_code     TEXT NOT NULL,
  latency_ms     INTEGER NOT NULL
);
CREATE INDEX audit_calls_at ON audit_calls (at_ms);
CREATE INDEX audit_calls_job ON audit_calls (job_id);
CREATE INDEX audit_calls_key ON audit_calls (key_id, at_ms);
)sql";

constexpr char kInsert[] =
    "INSERT INTO audit_calls (at_ms, correlation_id, job_id, user_id, service, provider, "
    "operation, key_id, model, inputs, tokens, pages, cost_nanos, http_status, error_code, "
    "latency_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

#define AUDIT_WHERE                                                                      \
  " WHERE at_ms >= ?1 AND at_ms < ?2 AND (?3 = '' OR service = ?3) AND (?4 = '' OR "     \
  "job_id = ?4) AND (?5 = '' OR user_id = ?5) AND (?6 = '' OR key_id = ?6) AND "         \
  "http_status >= ?7 AND http_status < ?8 AND (?9 = 0 OR (?9 = 1 AND error_code <> '') " \
  "OR (?9 = 2 AND error_code = ''))"

constexpr char kSelect[] =
    "SELECT audit_id, at_ms, correlation_id, job_id, user_id, service, provider, operation, "
    "key_id, model, inputs, tokens, pages, cost_nanos, http_status, error_code, latency_ms "
    "FROM audit_calls" AUDIT_WHERE " ORDER BY at_ms DESC, audit_id DESC LIMIT ?10 OFFSET ?11";
constexpr char kTotals[] =
    "SELECT COUNT(*), COALESCE(SUM(tokens), 0), COALESCE(SUM(pages), 0), "
    "COALESCE(SUM(cost_nanos), 0) FROM audit_calls" AUDIT_WHERE;
#undef AUDIT_WHERE
constexpr char kPrune[] = "DELETE FROM audit_calls WHERE at_ms < ?1";

void BindFilter(Stmt& st, const audit::FilterParams& f) {
  st.Bind(1, f.from_ms)
      .Bind(2, f.to_ms)
      .Bind(3, f.service)
      .Bind(4, f.job_id)
      .Bind(5, f.user_id)
      .Bind(6, f.key_id)
      .Bind(7, f.status_lo)
      .Bind(8, f.status_hi)
      .Bind(9, f.outcome);
}

AuditRecord ReadRecord(const Stmt& row) {
  AuditRecord r;
  r.audit_id = row.Int(0);
  r.at_ms = row.Int(1);
  r.correlation_id = row.Text(2);
  r.job_id = row.Text(3);
  r.user_id = row.Text(4);
  r.service = row.Text(5);
  r.provider = row.Text(6);
  r.operation = row.Text(7);
  r.key_id = row.Text(8);
  r.model = row.Text(9);
  r.inputs = row.Int(10);
  r.tokens = row.Int(11);
  r.pages = row.Int(12);
  r.cost_nanos = row.Int(13);
  r.http_status = static_cast<int>(row.Int(14));
  r.error_code = row.Text(15);
  r.latency_ms = row.Int(16);
  return r;
}

}  // namespace

Result<std::unique_ptr<SqliteAuditLog>> SqliteAuditLog::Open(const std::string& path) {
  auto conn = sqlite::OpenSubsystemDb(path, kBusyTimeoutMs);
  if (!conn.ok()) return conn.status();
  const char* const migrations[] = {kMigration1};
  if (Status s = sqlite::MigrateSubsystem(**conn, "audit", migrations); !s.ok()) return s;
  std::unique_ptr<SqliteAuditLog> log(new SqliteAuditLog(std::move(*conn)));
  return log;
}

Status SqliteAuditLog::Append(const std::vector<AuditRecord>& records) {
  if (records.empty()) return Status();
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  for (const AuditRecord& r : records) {
    auto ins = conn_->Prepare(kInsert);
    if (!ins.ok()) return ins.status();
    Status s = ins->Bind(1, r.at_ms)
                   .Bind(2, r.correlation_id)
                   .Bind(3, r.job_id)
                   .Bind(4, r.user_id)
                   .Bind(5, r.service)
                   .Bind(6, r.provider)
                   .Bind(7, r.operation)
                   .Bind(8, r.key_id)
                   .Bind(9, r.model)
                   .Bind(10, r.inputs)
                   .Bind(11, r.tokens)
                   .Bind(12, r.pages)
                   .Bind(13, r.cost_nanos)
                   .Bind(14, r.http_status)
                   .Bind(15, r.error_code)
                   .Bind(16, r.latency_ms)
                   .Run();
    if (!s.ok()) return s;
  }
  return txn->Commit();
}

Result<AuditPage> SqliteAuditLog::Query(const AuditQuery& query) {
  const audit::FilterParams f = audit::FilterOf(query);
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kDeferred);  // page and totals agree
  if (!txn.ok()) return txn.status();
  AuditPage page;
  auto sel = conn_->Prepare(kSelect);
  if (!sel.ok()) return sel.status();
  BindFilter(*sel, f);
  sel->Bind(10, query.limit).Bind(11, query.offset);
  Status rows = sel->ForEachRow([&] { page.records.push_back(ReadRecord(*sel)); });
  if (!rows.ok()) return rows;
  auto totals = conn_->Prepare(kTotals);
  if (!totals.ok()) return totals.status();
  BindFilter(*totals, f);
  auto row = totals->Step();
  if (!row.ok()) return row.status();
  if (*row) {
    page.totals = {totals->Int(0), totals->Int(1), totals->Int(2), totals->Int(3)};
  }
  if (Status s = txn->Commit(); !s.ok()) return s;
  return page;
}

Result<int64_t> SqliteAuditLog::PruneBefore(int64_t before_ms) {
  std::lock_guard lock(mu_);
  auto del = conn_->Prepare(kPrune);
  if (!del.ok()) return del.status();
  if (Status s = del->Bind(1, before_ms).Run(); !s.ok()) return s;
  return conn_->Changes();
}

}  // namespace ingestd
