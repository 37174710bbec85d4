// A thin RAII layer over the SQLite C API: a connection with a prepared-statement cache,
// statements that reset themselves, and transactions that roll back unless committed.
//
// Thread safety: a SqliteConn (and every statement or transaction made from it) must be
// used by one thread at a time; the owner (SqliteStore) guarantees that with a mutex or a
// pool. Errors come back as Status: SQLITE_BUSY/LOCKED → kUnavailable "DB_BUSY"
// (retryable), SQLITE_CONSTRAINT → kInvalidArgument "DB_CONSTRAINT_VIOLATION", anything
// else → kInternal "DB_ERROR". Details go to the log, not the message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

namespace ingestd::sqlite {

// A prepared statement borrowed from a connection's cache (or owned, when the cached one
// is busy). Reset and unbound on destruction, so the next user starts clean.
class Stmt {
 public:
  Stmt(sqlite3_stmt* stmt, bool owned) : stmt_(stmt), owned_(owned) {}
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt();

  // Parameters are 1-based, as in SQL ("?1").
  Stmt& Bind(int idx, std::string_view text);
  Stmt& Bind(int idx, const char* text) { return Bind(idx, std::string_view(text)); }
  Stmt& Bind(int idx, int64_t value);
  Stmt& Bind(int idx, int value) { return Bind(idx, static_cast<int64_t>(value)); }
  Stmt& BindBlob(int idx, std::string_view bytes);
  Stmt& BindNull(int idx);
  template <typename T>
  Stmt& Bind(int idx, const std::optional<T>& v) {
    return v ? Bind(idx, *v) : BindNull(idx);
  }

  // Advances one row: true when a row is available, false when done.
  Result<bool> Step();
  // Runs a statement that returns no rows (or whose rows are ignored) to completion.
  Status Run();
  // Steps through every row, calling on_row() while the row's columns are readable.
  template <typename F>
  Status ForEachRow(F&& on_row) {
    for (;;) {
      Result<bool> row = Step();
      if (!row.ok()) return row.status();
      if (!*row) return {};
      on_row();
    }
  }

  // Columns are 0-based, as in sqlite3_column_*.
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const;
  std::string_view Blob(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_;
  bool owned_;
  int bind_error_ = SQLITE_OK;  // first bind failure, reported by Step()
};

class SqliteConn {
 public:
  // Opens (creating if allowed) the database file with the pragmas ingestd relies on:
  // busy_timeout always; foreign_keys and synchronous=NORMAL on every connection.
  static Result<std::unique_ptr<SqliteConn>> Open(const std::string& path, bool read_only,
                                                  int busy_timeout_ms);
  ~SqliteConn();
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  // Runs one or more statements without results (DDL, PRAGMA, BEGIN…).
  Status Exec(const char* sql);
  // sql must have static storage: the cache is keyed by its address.
  Result<Stmt> Prepare(const char* sql);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const { return sqlite3_changes64(db_); }
  sqlite3* raw() { return db_; }

 private:
  explicit SqliteConn(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// BEGIN (IMMEDIATE for writers, DEFERRED for consistent multi-statement reads) on
// construction via Begin(); ROLLBACK on destruction unless Commit() succeeded.
class Txn {
 public:
  enum class Mode { kDeferred, kImmediate };
  static Result<Txn> Begin(SqliteConn& conn, Mode mode);
  Txn(Txn&& other) noexcept : conn_(other.conn_), open_(other.open_) { other.open_ = false; }
  Txn& operator=(Txn&&) = delete;
  ~Txn();
  Status Commit();

 private:
  explicit Txn(SqliteConn& conn) : conn_(conn), open_(true) {}
  SqliteConn& conn_;
  bool open_;
};

// Maps a SQLite result code to the Status described above; `what` names the operation
// in the log line.
Status SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace ingestd::sqlite
