#include "db/pg_subsystem_db.h"

#include <map>
#include <mutex>
#include <string>

#include "core/log.h"

namespace ingestd::pg {
namespace {

constexpr char kLock[] = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

// PgConn::Query prepares statements keyed by the SQL's address, so each prefix's record
// statement is built once and kept (map nodes never move).
const char* RecordSql(const std::string& table) {
  static std::mutex mu;
  static std::map<std::string, std::string> sql;
  std::lock_guard lock(mu);
  auto it = sql.find(table);
  if (it == sql.end()) {
    it = sql.emplace(table, "INSERT INTO " + table +
                                " (version) VALUES ($1::integer) ON CONFLICT DO NOTHING")
             .first;
  }
  return it->second.c_str();
}

}  // namespace

Status MigrateSubsystem(PgPool& pool, std::string_view prefix,
                        std::span<const char* const> migrations) {
  const std::string table = std::string(prefix) + "_migrations";
  const char* record = RecordSql(table);
  const std::string create = "CREATE TABLE IF NOT EXISTS " + table +
                             " (version integer PRIMARY KEY, applied_at timestamptz NOT NULL "
                             "DEFAULT now())";
  return pool.Transaction([&](PgConn& c) -> Status {
    if (auto lock = c.Query(kLock, PgParams().Add(table)); !lock.ok()) return lock.status();
    if (Status s = c.Exec(create.c_str()); !s.ok()) return s;
    for (size_t i = 0; i < migrations.size(); ++i) {
      const int version = static_cast<int>(i) + 1;
      auto recorded = c.Query(record, PgParams().Add(version));
      if (!recorded.ok()) return recorded.status();
      if (recorded->Affected() == 0) continue;  // applied before
      if (Status s = c.Exec(migrations[i]); !s.ok()) return s;
      log::Info("schema migration applied", {{"subsystem", prefix}, {"version", version}});
    }
    return Status();
  });
}

}  // namespace ingestd::pg
