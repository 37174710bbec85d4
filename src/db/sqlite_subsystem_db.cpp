#include "db/sqlite_subsystem_db.h"

#include "core/log.h"

namespace ingestd::sqlite {

Result<std::unique_ptr<SqliteConn>> OpenSubsystemDb(const std::string& path, int busy_timeout_ms) {
  auto conn = SqliteConn::Open(path, /*read_only=*/false, busy_timeout_ms);
  if (!conn.ok()) return conn.status();
  if (Status s = (*conn)->Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
  return conn;
}

Status MigrateSubsystem(SqliteConn& conn, std::string_view prefix,
                        std::span<const char* const> migrations) {
  const std::string table = std::string(prefix) + "_migrations";
  auto txn = Txn::Begin(conn, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  const std::string create = "CREATE TABLE IF NOT EXISTS " + table +
                             " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT "
                             "(strftime('%Y-%m-%dT%H:%M:%fZ','now')))";
  if (Status s = conn.Exec(create.c_str()); !s.ok()) return s;
  for (size_t i = 0; i < migrations.size(); ++i) {
    const int version = static_cast<int>(i) + 1;
    // Exec, not Prepare: these strings are not static (the statement cache keys addresses).
    const std::string record =
        "INSERT OR IGNORE INTO " + table + " (version) VALUES (" + std::to_string(version) + ")";
    if (Status s = conn.Exec(record.c_str()); !s.ok()) return s;
    if (conn.Changes() == 0) continue;  // applied before
    if (Status s = conn.Exec(migrations[i]); !s.ok()) return s;
    log::Info("schema migration applied", {{"subsystem", prefix}, {"version", version}});
  }
  return txn->Commit();
}

}  // namespace ingestd::sqlite
