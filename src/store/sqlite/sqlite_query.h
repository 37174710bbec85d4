// Small helpers that run one prepared statement and map its rows, so store methods read
// as "bind these, map rows with that".
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"
#include "db/sqlite_db.h"
#include "store/record_codec.h"

namespace ingestd::sqlite {

template <typename T>
using RowReader = Result<T> (*)(const Stmt&);

// At most one row (the first); nullopt when there is none.
template <typename T, typename Binder>
Result<std::optional<T>> QueryOne(SqliteConn& conn, const char* sql, Binder&& bind,
                                  RowReader<T> read) {
  Result<Stmt> stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  bind(*stmt);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<T>();
  Result<T> value = read(*stmt);
  if (!value.ok()) return value.status();
  // Finish the statement: an UPDATE … RETURNING must run to completion.
  Status s = stmt->Run();
  if (!s.ok()) return s;
  return std::optional<T>(std::move(*value));
}

template <typename T, typename Binder>
Result<std::vector<T>> QueryAll(SqliteConn& conn, const char* sql, Binder&& bind,
                                RowReader<T> read) {
  Result<Stmt> stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  bind(*stmt);
  std::vector<T> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    Result<T> value = read(*stmt);
    if (!value.ok()) return value.status();
    out.push_back(std::move(*value));
  }
}

// A single integer (count(*), a flag); 0 when there is no row.
template <typename Binder>
Result<int64_t> QueryInt(SqliteConn& conn, const char* sql, Binder&& bind) {
  Result<Stmt> stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  bind(*stmt);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? stmt->Int(0) : int64_t{0};
}

// The row of a QueryOne, or not_found() when there was none.
using record::OrNotFound;

// Runs a statement without result rows.
template <typename Binder>
Status Run(SqliteConn& conn, const char* sql, Binder&& bind) {
  Result<Stmt> stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  bind(*stmt);
  return stmt->Run();
}

// Runs a statement without result rows; returns the number of rows it changed.
template <typename Binder>
Result<int64_t> Execute(SqliteConn& conn, const char* sql, Binder&& bind) {
  Result<Stmt> stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  bind(*stmt);
  Status s = stmt->Run();
  if (!s.ok()) return s;
  return conn.Changes();
}

}  // namespace ingestd::sqlite
