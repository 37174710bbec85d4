// SqliteAlertLog: the AlertLog in a SQLite file, normally the store's own database: table
// alerts_log, migrated by itself (alerts_migrations). Rows older than retention_ms are
// deleted as new ones arrive.
//
// Thread safety: one connection behind a mutex; processes share the file through SQLite's
// locking and busy timeout.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "alerts/alert_log.h"
#include "db/sqlite_db.h"

namespace ingestd {

class SqliteAlertLog final : public AlertLog {
 public:
  static Result<std::unique_ptr<SqliteAlertLog>> Open(const std::string& path,
                                                      int64_t retention_ms = 30LL * 86'400'000);
  Status Append(const Alert& alert) override;
  Result<std::vector<Alert>> Recent(const AlertQuery& query) override;

 private:
  SqliteAlertLog(std::unique_ptr<sqlite::SqliteConn> conn, int64_t retention_ms)
      : conn_(std::move(conn)), retention_ms_(retention_ms) {}

  std::mutex mu_;
  std::unique_ptr<sqlite::SqliteConn> conn_;  // guarded by mu_
  const int64_t retention_ms_;
};

}  // namespace ingestd
