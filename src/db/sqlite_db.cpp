#include "db/sqlite_db.h"

#include "core/log.h"

namespace ingestd::sqlite {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  log::Error("sqlite error", {{"op", what},
                              {"rc", rc},
                              {"detail", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)}});
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Status::Unavailable("DB_BUSY", "database is busy, try again");
  }
  if (primary == SQLITE_CONSTRAINT) {
    // The caller passed rows that contradict the schema (unknown chunk, duplicate id).
    return Status::InvalidArgument("DB_CONSTRAINT_VIOLATION",
                                   "the record conflicts with stored data");
  }
  return Status::Internal("DB_ERROR", std::string("database error: ") + sqlite3_errstr(rc));
}

// ---- Stmt ----

Stmt::Stmt(Stmt&& other) noexcept
    : stmt_(other.stmt_), owned_(other.owned_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bind(int idx, std::string_view text) {
  int rc =
      sqlite3_bind_text(stmt_, idx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Stmt& Stmt::Bind(int idx, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, idx, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Stmt& Stmt::BindBlob(int idx, std::string_view bytes) {
  int rc =
      sqlite3_bind_blob(stmt_, idx, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Stmt& Stmt::BindNull(int idx) {
  int rc = sqlite3_bind_null(stmt_, idx);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Result<bool> Stmt::Step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_error_ != SQLITE_OK) return SqliteError(db, bind_error_, "bind");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db, rc, sqlite3_sql(stmt_));
}

Status Stmt::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status();
  }
}

std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string_view Stmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return std::string_view();
  return std::string_view(static_cast<const char*>(p),
                          static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

// ---- SqliteConn ----

namespace {

// SQLite counts every allocation under one process-wide mutex unless told not to
// (SQLITE_CONFIG_MEMSTATUS, on in Debian's build, which also has no lookaside, so a statement
// step mallocs often). Nothing here reads those counts, and 16 concurrent searches spent ~20%
// of their time waiting on that mutex. Set before the first connection initialises the
// library (after that SQLite refuses the change, harmlessly); connections open only here.
void ConfigureSqliteOnce() {
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
}

}  // namespace

Result<std::unique_ptr<SqliteConn>> SqliteConn::Open(const std::string& path, bool read_only,
                                                     int busy_timeout_ms) {
  ConfigureSqliteOnce();
  // NOMUTEX: each connection is used by one thread at a time (see header).
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db, rc, "open");
    sqlite3_close_v2(db);
    return s;
  }
  std::unique_ptr<SqliteConn> conn(new SqliteConn(db));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  Status s = conn->Exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
  if (!s.ok()) return s;
  return conn;
}

SqliteConn::~SqliteConn() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status SqliteConn::Exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, sql);
  return Status();
}

Result<Stmt> SqliteConn::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !sqlite3_stmt_busy(it->second)) return Stmt(it->second, false);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, sql);
  if (it != cache_.end()) return Stmt(stmt, true);  // cached one is in use: a one-off copy
  cache_.emplace(sql, stmt);
  return Stmt(stmt, false);
}

// ---- Txn ----

Result<Txn> Txn::Begin(SqliteConn& conn, Mode mode) {
  Status s = conn.Exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  if (!s.ok()) return s;
  return Txn(conn);
}

Txn::~Txn() {
  // SQLite may already have rolled back by itself (disk full, I/O error); then there is
  // nothing left to undo and ROLLBACK would only fail.
  if (open_ && !sqlite3_get_autocommit(conn_.raw())) conn_.Exec("ROLLBACK");
}

Status Txn::Commit() {
  Status s = conn_.Exec("COMMIT");
  if (s.ok()) open_ = false;
  return s;
}

}  // namespace ingestd::sqlite
