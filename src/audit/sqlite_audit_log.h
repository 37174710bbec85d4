// SqliteAuditLog: the AuditLog in a SQLite file, normally the store's own database (tables
// audit_calls and audit_migrations, migrated here), so every process on the file shares one
// log. One connection behind a mutex; appends are one transaction per batch.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "audit/audit_log.h"
#include "db/sqlite_db.h"

namespace ingestd {

class SqliteAuditLog final : public AuditLog {
 public:
  static Result<std::unique_ptr<SqliteAuditLog>> Open(const std::string& path);

  Status Append(const std::vector<AuditRecord>& records) override;
  Result<AuditPage> Query(const AuditQuery& query) override;
  Result<int64_t> PruneBefore(int64_t before_ms) override;

 private:
  explicit SqliteAuditLog(std::unique_ptr<sqlite::SqliteConn> conn) : conn_(std::move(conn)) {}

  std::mutex mu_;
  std::unique_ptr<sqlite::SqliteConn> conn_;  // guarded by mu_
};

}  // namespace ingestd
