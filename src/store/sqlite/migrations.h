// Versioned schema migrations compiled into the binary.
//
// Each migration runs once, in its own BEGIN IMMEDIATE transaction together with its row
// in schema_migrations, so concurrent starters (threads or processes) apply it exactly once
// and a crash mid-migration leaves the previous version intact. Append new migrations;
// never edit an applied one.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "db/sqlite_db.h"

namespace ingestd::sqlite {

struct Migration {
  int version;
  std::string_view name;
  const char* sql;
};

// All migrations in ascending version order.
const std::vector<Migration>& Migrations();

// Applies every migration newer than the database's version. Idempotent.
Status ApplyMigrations(SqliteConn& conn);

}  // namespace ingestd::sqlite
