// Opens the audit log in the store's database: DATABASE_URL "postgres://…"/"postgresql://…"
// → PgAuditLog; "sqlite://<path>" (or a plain path) → SqliteAuditLog on that file.
#pragma once

#include <memory>
#include <string>

#include "audit/audit_log.h"

namespace ingestd {

Result<std::unique_ptr<AuditLog>> OpenAuditLog(const std::string& database_url);

}  // namespace ingestd
