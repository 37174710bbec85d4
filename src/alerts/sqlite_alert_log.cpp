#include "alerts/sqlite_alert_log.h"

#include "core/json_read.h"
#include "db/sqlite_subsystem_db.h"

namespace ingestd {
namespace {

using sqlite::SqliteConn;
using sqlite::Txn;

constexpr int kBusyTimeoutMs = 5'000;

// Schema versions of MigrateSubsystem: append, never edit an applied one.
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
  a->scope = json_read::String(j, "scope").value_or("");
  a->metric = json_read::String(j, "metric").value_or("");
  a->value = json_read::Number(j, "value").value_or(0.0);
  a->threshold = json_read::Number(j, "threshold").value_or(0.0);
  a->severity = json_read::String(j, "severity").value_or("");
  a->message = json_read::String(j, "message").value_or("");
  a->job_id = json_read::String(j, "job_id").value_or("");
  a->correlation_id = json_read::String(j, "correlation_id").value_or("");
  a->details = j.value("details", nlohmann::json::object());
}

}  // namespace

Result<std::unique_ptr<SqliteAlertLog>> SqliteAlertLog::Open(const std::string& path,
                                                             int64_t retention_ms) {
  auto conn = sqlite::OpenSubsystemDb(path, kBusyTimeoutMs);
  if (!conn.ok()) return conn.status();
  const char* const migrations[] = {kMigration1};
  if (Status s = sqlite::MigrateSubsystem(**conn, "alerts", migrations); !s.ok()) return s;
  std::unique_ptr<SqliteAlertLog> log(new SqliteAlertLog(std::move(*conn), retention_ms));
  return log;
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
  Status rows = sel->ForEachRow([&] {
    Alert a;
    a.id = sel->Text(0);
    a.at_ms = sel->Int(1);
    a.kind = sel->Text(2);
    auto body = nlohmann::json::parse(sel->Text(3), nullptr, /*allow_exceptions=*/false);
    if (body.is_object()) FromFields(body, &a);
    out.push_back(std::move(a));
  });
  if (!rows.ok()) return rows;
  return out;
}

}  // namespace ingestd
