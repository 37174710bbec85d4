// Subsystems that keep tables of their own in the store's PostgreSQL database (the ledger,
// the audit log, service settings, upload limits) version them here: each in a
// <prefix>_migrations table, applied under an advisory lock so that processes starting at
// once migrate one after the other (CREATE TABLE IF NOT EXISTS alone races in the catalog).
#pragma once

#include <span>
#include <string_view>

#include "core/status.h"
#include "db/pg_pool.h"

namespace ingestd::pg {

// Applies migrations[i] as version i + 1 unless <prefix>_migrations records it, in one
// transaction. Append new versions; never edit an applied one.
Status MigrateSubsystem(PgPool& pool, std::string_view prefix,
                        std::span<const char* const> migrations);

}  // namespace ingestd::pg
