// The versioned PostgreSQL schema: the same tables, versions and names as the SQLite
// backend (sqlite/migrations.cpp), in PostgreSQL types.
//
// ApplyMigrations is safe when many processes start at once: each migration runs in its own
// transaction that first takes a transaction-scoped advisory lock (kMigrationLockKey), so
// they apply one at a time, and each re-checks schema_migrations under that lock. DDL is
// transactional in PostgreSQL: a migration is applied whole or not at all.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "db/pg_conn.h"

namespace ingestd::pg {

// pg_advisory_xact_lock key shared by every ingestd process migrating one database
// ("ingestd!" in ASCII).
inline constexpr int64_t kMigrationLockKey = 0x696e676573746421;

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

const std::vector<Migration>& Migrations();

// Applies every migration not yet recorded, in version order.
Status ApplyMigrations(PgConn& conn);

}  // namespace ingestd::pg
