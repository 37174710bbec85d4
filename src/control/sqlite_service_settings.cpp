#include "control/sqlite_service_settings.h"

#include "db/sqlite_subsystem_db.h"

namespace ingestd {
namespace {

using sqlite::SqliteConn;
using sqlite::Stmt;
using sqlite::Txn;

constexpr int kBusyTimeoutMs = 10'000;

// Schema versions of MigrateSubsystem: append, never edit an applied one.
constexpr char kMigration1[] = R"sql(
CREATE TABLE control_service_modes (
  service        TEXT PRIMARY KEY,
  mode           TEXT NOT NULL,
  updated_by     TEXT NOT NULL,
  updated_at_ms  INTEGER NOT NULL
);
CREATE TABLE control_mode_history (
  change_id      INTEGER PRIMARY KEY AUTOINCREMENT,
  service        TEXT NOT NULL,
  from_mode      TEXT NOT NULL,
  to_mode        TEXT NOT NULL,
  actor          TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  at_ms          INTEGER NOT NULL
);
)sql";

constexpr char kSelectModes[] =
    "SELECT service, mode, updated_by, updated_at_ms FROM control_service_modes "
    "ORDER BY service";
constexpr char kSelectMode[] = "SELECT mode FROM control_service_modes WHERE service = ?1";
constexpr char kUpsertMode[] =
    "INSERT INTO control_service_modes (service, mode, updated_by, updated_at_ms) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (service) DO UPDATE SET mode = excluded.mode, "
    "updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms";
constexpr char kInsertChange[] =
    "INSERT INTO control_mode_history (service, from_mode, to_mode, actor, correlation_id, "
    "at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING change_id";
constexpr char kSelectHistory[] =
    "SELECT change_id, service, from_mode, to_mode, actor, correlation_id, at_ms "
    "FROM control_mode_history ORDER BY change_id DESC LIMIT ?1 OFFSET ?2";

}  // namespace

Result<std::unique_ptr<SqliteServiceSettings>> SqliteServiceSettings::Open(const std::string& path,
                                                                           const Clock* clock) {
  auto conn = sqlite::OpenSubsystemDb(path, kBusyTimeoutMs);
  if (!conn.ok()) return conn.status();
  const char* const migrations[] = {kMigration1};
  if (Status s = sqlite::MigrateSubsystem(**conn, "control", migrations); !s.ok()) return s;
  std::unique_ptr<SqliteServiceSettings> settings(
      new SqliteServiceSettings(std::move(*conn), clock));
  return settings;
}

Result<std::vector<ModeSetting>> SqliteServiceSettings::Modes() {
  std::lock_guard lock(mu_);
  auto sel = conn_->Prepare(kSelectModes);
  if (!sel.ok()) return sel.status();
  std::vector<ModeSetting> modes;
  Status rows = sel->ForEachRow([&] {
    modes.push_back({sel->Text(0), sel->Text(1), sel->Text(2), sel->Int(3)});
  });
  if (!rows.ok()) return rows;
  return modes;
}

Result<ModeChange> SqliteServiceSettings::SetMode(const SetModeRequest& r) {
  ModeChange change{0,       r.service,        r.default_mode,     r.mode,
                    r.actor, r.correlation_id, clock_->NowMillis()};
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  {
    auto sel = conn_->Prepare(kSelectMode);
    if (!sel.ok()) return sel.status();
    auto row = sel->Bind(1, r.service).Step();
    if (!row.ok()) return row.status();
    if (*row) change.from_mode = sel->Text(0);
  }
  auto upsert = conn_->Prepare(kUpsertMode);
  if (!upsert.ok()) return upsert.status();
  Status s =
      upsert->Bind(1, r.service).Bind(2, r.mode).Bind(3, r.actor).Bind(4, change.at_ms).Run();
  if (!s.ok()) return s;
  {
    auto insert = conn_->Prepare(kInsertChange);
    if (!insert.ok()) return insert.status();
    auto row = insert->Bind(1, r.service)
                   .Bind(2, change.from_mode)
                   .Bind(3, r.mode)
                   .Bind(4, r.actor)
                   .Bind(5, r.correlation_id)
                   .Bind(6, change.at_ms)
                   .Step();
    if (!row.ok()) return row.status();
    change.change_id = insert->Int(0);
  }
  if (Status c = txn->Commit(); !c.ok()) return c;
  return change;
}

Result<std::vector<ModeChange>> SqliteServiceSettings::History(int limit, int offset) {
  std::lock_guard lock(mu_);
  auto sel = conn_->Prepare(kSelectHistory);
  if (!sel.ok()) return sel.status();
  sel->Bind(1, limit).Bind(2, offset);
  std::vector<ModeChange> changes;
  Status rows = sel->ForEachRow([&] {
    changes.push_back({sel->Int(0), sel->Text(1), sel->Text(2), sel->Text(3), sel->Text(4),
                       sel->Text(5), sel->Int(6)});
  });
  if (!rows.ok()) return rows;
  return changes;
}

}  // namespace ingestd
