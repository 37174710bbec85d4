#include "alerts/sqlite_alert_log.h"

namespace ingestd {
namespace {

using sqlite::SqliteConn;
using sqlite::Txn;

constexpr int kBusyTimeoutMs = 5'000;

// Versioned like the store's migrations: append, never edit an applied one.
constexpr char kCreateMigrations[] =
    "CREATE TABLE IF NOT EXISTS alerts_migrations (version INTEGER PRIMARY KEY, "
    "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))";
constexpr char kIsApplied[] = "SELECT 1 FROM alerts_migrations WHERE version = ?1";
constexpr char kRecordApplied[] = "INSERT INTO alerts_migrations (version) VALUES (?1)";
constexpr char kMigration1[] = R"sql(
CREATE TABLE alerts_log (
  alert_id  TEXT PRIMARY KEY,
  at_ms     INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  body      TEXT NOT NULL  -- the rest of the alert, a JSON object (Fields below)
);
CREATE INDEX alerts_log_at ON alerts_log (at_ms);
)sql";
constexpr char kInsert[] =
    "INSERT OR IGNORE INTO alerts_log (alert_id, at_ms, kind, body) VALUES (?1, ?2, ?3, ?4)";
constexpr char kDeleteOld[] = "DELETE FROM alerts_log WHERE at_ms < ?1";
constexpr char kSelect[] =
    "SELECT alert_id, at_ms, kind, body FROM alerts_log WHERE at_ms >= ?1 AND (?2 = '' OR "
    "kind = ?2) ORDER BY at_ms DESC, rowid DESC LIMIT ?3";

nlohmann::json Fields(const Alert& a) {
  return {{"scope", a.scope},       {"metric", a.metric},
          {"value", a.value},       {"threshold", a.threshold},
          {"severity", a.severity}, {"message", a.message},
          {"job_id", a.job_id},     {"correlation_id", a.correlation_id},
          {"details", a.details}};
}

void FromFields(const nlohmann::json& j, Alert* a) {
  a->scope = j.value("scope", "");
  a->metric = j.value("metric", "");
  a->value = j.value("value", 0.0);
  a->threshold = j.value("threshold", 0.0);
  a->severity = j.value("severity", "");
  a->message = j.value("message", "");
  a->job_id = j.value("job_id", "");
  a->correlation_id = j.value("correlation_id", "");
  a->details = j.value("details", nlohmann::json::object());
}

}  // namespace

Result<std::unique_ptr<SqliteAlertLog>> SqliteAlertLog::Open(const std::string& path,
                                                             int64_t retention_ms) {
  auto conn = SqliteConn::Open(path, /*read_only=*/false, kBusyTimeoutMs);
  if (!conn.ok()) return conn.status();
  if (Status s = (*conn)->Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
  std::unique_ptr<SqliteAlertLog> log(new SqliteAlertLog(std::move(*conn), retention_ms));
  if (Status s = log->Migrate(); !s.ok()) return s;
  return log;
}

Status SqliteAlertLog::Migrate() {
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  if (Status s = conn_->Exec(kCreateMigrations); !s.ok()) return s;
  auto applied = conn_->Prepare(kIsApplied);
  if (!applied.ok()) return applied.status();
  auto row = applied->Bind(1, 1).Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    if (Status s = conn_->Exec(kMigration1); !s.ok()) return s;
    auto record = conn_->Prepare(kRecordApplied);
    if (!record.ok()) return record.status();
    if (Status s = record->Bind(1, 1).Run(); !s.ok()) return s;
  }
  return txn->Commit();
}

Status SqliteAlertLog::Append(const Alert& a) {
  std::lock_guard lock(mu_);
  auto insert = conn_->Prepare(kInsert);
  if (!insert.ok()) return insert.status();
  Status s = insert->Bind(1, a.id).Bind(2, a.at_ms).Bind(3, a.kind).Bind(4, Fields(a).dump()).Run();
  if (!s.ok()) return s;
  auto prune = conn_->Prepare(kDeleteOld);
  if (!prune.ok()) return prune.status();
  return prune->Bind(1, a.at_ms - retention_ms_).Run();
}

Result<std::vector<Alert>> SqliteAlertLog::Recent(const AlertQuery& q) {
  std::lock_guard lock(mu_);
  auto sel = conn_->Prepare(kSelect);
  if (!sel.ok()) return sel.status();
  sel->Bind(1, q.since_ms).Bind(2, q.kind).Bind(3, q.limit);
  std::vector<Alert> out;
  for (;;) {
    auto row = sel->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    Alert a;
    a.id = sel->Text(0);
    a.at_ms = sel->Int(1);
    a.kind = sel->Text(2);
    auto body = nlohmann::json::parse(sel->Text(3), nullptr, /*allow_exceptions=*/false);
    if (body.is_object()) FromFields(body, &a);
    out.push_back(std::move(a));
  }
}

}  // namespace ingestd
