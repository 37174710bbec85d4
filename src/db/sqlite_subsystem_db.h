// Subsystems that keep tables of their own in the store's SQLite file (the ledger, the audit
// log, service settings, upload limits, alerts) open it and version those tables here: each
// in a <prefix>_migrations table, so they migrate independently of the store and of one
// another, and every process that opens the file applies a version at most once.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "db/sqlite_db.h"

namespace ingestd::sqlite {

// Opens (creating) the file in WAL mode: WAL persists in the file, and a file the store never
// opened needs it too so that readers do not block the writer.
Result<std::unique_ptr<SqliteConn>> OpenSubsystemDb(const std::string& path, int busy_timeout_ms);

// Applies migrations[i] as version i + 1 unless <prefix>_migrations records it, all in one
// IMMEDIATE transaction. Append new versions; never edit an applied one.
Status MigrateSubsystem(SqliteConn& conn, std::string_view prefix,
                        std::span<const char* const> migrations);

}  // namespace ingestd::sqlite
