#include "limits/sqlite_upload_limiter.h"

#include "limits/bucket_sql.h"
#include "limits/token_bucket.h"

namespace ingestd::limits {
namespace {

using sqlite::SqliteConn;
using sqlite::Stmt;
using sqlite::Txn;

constexpr int kBusyTimeoutMs = 10'000;

// Versioned like the store's migrations: append, never edit an applied one.
constexpr char kCreateMigrations[] =
    "CREATE TABLE IF NOT EXISTS limits_migrations (version INTEGER PRIMARY KEY, "
    "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))";
constexpr char kIsApplied[] = "SELECT 1 FROM limits_migrations WHERE version = ?1";
constexpr char kRecordApplied[] = "INSERT INTO limits_migrations (version) VALUES (?1)";

// Built once: the statement cache keys on their addresses.
struct Statements {
  std::string create = CreateBucketsSql(kSqliteDialect);
  std::string take = TakeSql(kSqliteDialect);
  std::string refund = RefundSql(kSqliteDialect);
  std::string select = SelectSql(kSqliteDialect);
};
const Statements& Sql() {
  static const Statements statements;
  return statements;
}

}  // namespace

Result<std::unique_ptr<SqliteUploadLimiter>> SqliteUploadLimiter::Open(const std::string& path,
                                                                       const UploadLimits& limits,
                                                                       Clock* clock) {
  auto conn = SqliteConn::Open(path, /*read_only=*/false, kBusyTimeoutMs);
  if (!conn.ok()) return conn.status();
  // WAL persists in the file (the store sets it too); a standalone file needs it for readers
  // not to block the writer.
  if (Status s = (*conn)->Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
  std::unique_ptr<SqliteUploadLimiter> limiter(
      new SqliteUploadLimiter(std::move(*conn), limits, clock));
  if (Status s = limiter->Migrate(); !s.ok()) return s;
  return limiter;
}

SqliteUploadLimiter::SqliteUploadLimiter(std::unique_ptr<SqliteConn> conn,
                                         const UploadLimits& limits, Clock* clock)
    : BucketLimiter(limits, clock), conn_(std::move(conn)) {}

Status SqliteUploadLimiter::Migrate() {
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  if (Status s = conn_->Exec(kCreateMigrations); !s.ok()) return s;
  auto applied = conn_->Prepare(kIsApplied);
  if (!applied.ok()) return applied.status();
  auto row = applied->Bind(1, 1).Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    if (Status s = conn_->Exec(Sql().create.c_str()); !s.ok()) return s;
    auto record = conn_->Prepare(kRecordApplied);
    if (!record.ok()) return record.status();
    if (Status s = record->Bind(1, 1).Run(); !s.ok()) return s;
  }
  return txn->Commit();
}

Result<Stmt> SqliteUploadLimiter::Bound(const std::string& sql, std::string_view user_id,
                                        int64_t now_ms) {
  auto stmt = conn_->Prepare(sql.c_str());
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, user_id)
      .Bind(2, limits().per_minute)
      .Bind(3, limits().per_day)
      .Bind(4, now_ms)
      .Bind(5, kUnlimitedUnits);
  return stmt;
}

Result<bool> SqliteUploadLimiter::RunTake(std::string_view user_id, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto stmt = Bound(Sql().take, user_id, now_ms);
  if (!stmt.ok()) return stmt.status();
  // RETURNING yields a row exactly when the tokens were taken.
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (*row) {
    if (Status s = stmt->Run(); !s.ok()) return s;  // finish the statement
  }
  return *row;
}

Status SqliteUploadLimiter::RunRefund(std::string_view user_id, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto stmt = Bound(Sql().refund, user_id, now_ms);
  if (!stmt.ok()) return stmt.status();
  return stmt->Run();
}

Result<std::optional<StoredBuckets>> SqliteUploadLimiter::Select(std::string_view user_id) {
  std::lock_guard lock(mu_);
  auto stmt = conn_->Prepare(Sql().select.c_str());
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Bind(1, user_id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<StoredBuckets>();
  return std::optional<StoredBuckets>(StoredBuckets{stmt->Int(0), stmt->Int(1), stmt->Int(2)});
}

}  // namespace ingestd::limits
