#include "audit/pg_audit_log.h"

#include "audit/audit_filter.h"
#include "db/pg_subsystem_db.h"

namespace ingestd {
namespace {

using pg::PgConn;
using pg::PgParams;
using pg::PgResult;

// Versioned: append, never edit an applied one.
constexpr char kMigration1[] = R"sql(
CREATE TABLE audit_calls (
  audit_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms          bigint NOT NULL,
  correlation_id text NOT NULL,
  job_id         text NOT NULL,
  user_id        text NOT NULL,
  service        text NOT NULL,
  provider       text NOT NULL,
  operation      text NOT NULL,
  key_id         text NOT NULL,
  model          text NOT NULL,
  inputs         bigint NOT NULL,
  tokens         bigint NOT NULL,
  pages          bigint NOT NULL,
  cost_nanos     bigint NOT NULL,
  http_status    integer NOT NULL,
  error_code     text NOT NULL,
  latency_ms     bigint NOT NULL
);
CREATE INDEX audit_calls_at ON audit_calls (at_ms);
CREATE INDEX audit_calls_job ON audit_calls (job_id);
CREATE INDEX audit_calls_key ON audit_calls (key_id, at_ms);
)sql";

constexpr char kInsert[] =
    "INSERT INTO audit_calls (at_ms, correlation_id, job_id, user_id, service, provider, "
    "operation, key_id, model, inputs, tokens, pages, cost_nanos, http_status, error_code, "
    "latency_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";

// The same filter as the SQLite backend's (audit_filter.h), in PostgreSQL's placeholders.
#define AUDIT_WHERE                                                                           \
  " WHERE at_ms >= $1 AND at_ms < $2 AND ($3::text = '' OR service = $3) AND ($4::text = '' " \
  "OR job_id = $4) AND ($5::text = '' OR user_id = $5) AND ($6::text = '' OR key_id = $6) "   \
  "AND http_status >= $7 AND http_status < $8 AND ($9::int = 0 OR ($9 = 1 AND error_code <> " \
  "'') OR ($9 = 2 AND error_code = ''))"

constexpr char kSelect[] =
    "SELECT audit_id, at_ms, correlation_id, job_id, user_id, service, provider, operation, "
    "key_id, model, inputs, tokens, pages, cost_nanos, http_status, error_code, latency_ms "
    "FROM audit_calls" AUDIT_WHERE " ORDER BY at_ms DESC, audit_id DESC LIMIT $10 OFFSET $11";
constexpr char kTotals[] =
    "SELECT COUNT(*), COALESCE(SUM(tokens), 0), COALESCE(SUM(pages), 0), "
    "COALESCE(SUM(cost_nanos), 0) FROM audit_calls" AUDIT_WHERE;
#undef AUDIT_WHERE
constexpr char kPrune[] = "DELETE FROM audit_calls WHERE at_ms < $1";

PgParams FilterParams(const audit::FilterParams& f) {
  PgParams p;
  p.Add(f.from_ms)
      .Add(f.to_ms)
      .Add(f.service)
      .Add(f.job_id)
      .Add(f.user_id)
      .Add(f.key_id)
      .Add(f.status_lo)
      .Add(f.status_hi)
      .Add(f.outcome);
  return p;
}

AuditRecord ReadRecord(const PgResult& res, int row) {
  AuditRecord r;
  r.audit_id = res.Int(row, 0);
  r.at_ms = res.Int(row, 1);
  r.correlation_id = res.Text(row, 2);
  r.job_id = res.Text(row, 3);
  r.user_id = res.Text(row, 4);
  r.service = res.Text(row, 5);
  r.provider = res.Text(row, 6);
  r.operation = res.Text(row, 7);
  r.key_id = res.Text(row, 8);
  r.model = res.Text(row, 9);
  r.inputs = res.Int(row, 10);
  r.tokens = res.Int(row, 11);
  r.pages = res.Int(row, 12);
  r.cost_nanos = res.Int(row, 13);
  r.http_status = static_cast<int>(res.Int(row, 14));
  r.error_code = res.Text(row, 15);
  r.latency_ms = res.Int(row, 16);
  return r;
}

}  // namespace

Result<std::unique_ptr<PgAuditLog>> PgAuditLog::Open(const std::string& url) {
  std::unique_ptr<PgAuditLog> log(new PgAuditLog(url));
  if (Status s = log->Migrate(); !s.ok()) return s;
  return log;
}

Status PgAuditLog::Migrate() {
  const char* const migrations[] = {kMigration1};
  return pg::MigrateSubsystem(pool_, "audit", migrations);
}

Status PgAuditLog::Append(const std::vector<AuditRecord>& records) {
  if (records.empty()) return Status();
  std::vector<pg::BatchItem> items;
  items.reserve(records.size());
  for (const AuditRecord& r : records) {
    PgParams p;
    p.Add(r.at_ms)
        .Add(r.correlation_id)
        .Add(r.job_id)
        .Add(r.user_id)
        .Add(r.service)
        .Add(r.provider)
        .Add(r.operation)
        .Add(r.key_id)
        .Add(r.model)
        .Add(r.inputs)
        .Add(r.tokens)
        .Add(r.pages)
        .Add(r.cost_nanos)
        .Add(r.http_status)
        .Add(r.error_code)
        .Add(r.latency_ms);
    items.push_back({kInsert, std::move(p)});
  }
  return pool_.Transaction([&](PgConn& c) -> Status {
    auto done = c.RunBatch(items, /*commit=*/true);
    return done.ok() ? Status() : done.status();
  });
}

Result<AuditPage> PgAuditLog::Query(const AuditQuery& query) {
  const audit::FilterParams f = audit::FilterOf(query);
  return pool_.Transaction([&](PgConn& c) -> Result<AuditPage> {
    AuditPage page;
    PgParams p = FilterParams(f);
    p.Add(query.limit).Add(query.offset);
    auto rows = c.Query(kSelect, p);
    if (!rows.ok()) return rows.status();
    for (int i = 0; i < rows->rows(); ++i) page.records.push_back(ReadRecord(*rows, i));
    auto totals = c.Query(kTotals, FilterParams(f));
    if (!totals.ok()) return totals.status();
    page.totals = {totals->Int(0, 0), totals->Int(0, 1), totals->Int(0, 2), totals->Int(0, 3)};
    return page;
  });
}

Result<int64_t> PgAuditLog::PruneBefore(int64_t before_ms) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto res = (*conn)->Query(kPrune, PgParams().Add(before_ms));
  if (!res.ok()) return res.status();
  return res->Affected();
}

}  // namespace ingestd
