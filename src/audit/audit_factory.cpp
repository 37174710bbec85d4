#include "audit/audit_factory.h"

#include <string_view>

#include "audit/pg_audit_log.h"
#include "audit/sqlite_audit_log.h"

namespace ingestd {

Result<std::unique_ptr<AuditLog>> OpenAuditLog(const std::string& database_url) {
  std::string_view url = database_url;
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    auto log = PgAuditLog::Open(database_url);
    if (!log.ok()) return log.status();
    return std::unique_ptr<AuditLog>(std::move(*log));
  }
  if (url.starts_with("sqlite://")) url.remove_prefix(std::string_view("sqlite://").size());
  auto log = SqliteAuditLog::Open(std::string(url));
  if (!log.ok()) return log.status();
  return std::unique_ptr<AuditLog>(std::move(*log));
}

}  // namespace ingestd
