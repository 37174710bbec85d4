// PgAuditLog: the AuditLog in the store's PostgreSQL database (tables audit_calls and
// audit_migrations, migrated here under an advisory lock so processes starting together
// migrate once). Connections come from its own small pool. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "audit/audit_log.h"
#include "db/pg_pool.h"

namespace ingestd {

class PgAuditLog final : public AuditLog {
 public:
  static Result<std::unique_ptr<PgAuditLog>> Open(const std::string& url);

  Status Append(const std::vector<AuditRecord>& records) override;
  Result<AuditPage> Query(const AuditQuery& query) override;
  Result<int64_t> PruneBefore(int64_t before_ms) override;

 private:
  explicit PgAuditLog(const std::string& url) : pool_(url, pg::PgPoolOptions{.max_size = 2}) {}
  Status Migrate();

  pg::PgPool pool_;
};

}  // namespace ingestd
