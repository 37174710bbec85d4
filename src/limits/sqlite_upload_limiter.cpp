#include "limits/sqlite_upload_limiter.h"

#include "db/sqlite_subsystem_db.h"
#include "limits/bucket_sql.h"
#include "limits/token_bucket.h"

namespace ingestd::limits {
namespace {

using sqlite::SqliteConn;
using sqlite::Stmt;
using sqlite::Txn;

constexpr int kBusyTimeoutMs = 10'000;

}  // namespace

Result<std::unique_ptr<SqliteUploadLimiter>> SqliteUploadLimiter::Open(const std::string& path,
                                                                       const UploadLimits& limits,
                                                                       Clock* clock,
                                                                       const BucketKind& kind) {
  auto conn = sqlite::OpenSubsystemDb(path, kBusyTimeoutMs);
  if (!conn.ok()) return conn.status();
  const std::vector<std::string> sql = BucketMigrations(kSqliteDialect);
  std::vector<const char*> migrations;
  for (const std::string& m : sql) migrations.push_back(m.c_str());
  if (Status s = sqlite::MigrateSubsystem(**conn, "limits", migrations); !s.ok()) return s;
  std::unique_ptr<SqliteUploadLimiter> limiter(
      new SqliteUploadLimiter(std::move(*conn), limits, clock, kind));
  return limiter;
}

SqliteUploadLimiter::SqliteUploadLimiter(std::unique_ptr<SqliteConn> conn,
                                         const UploadLimits& limits, Clock* clock,
                                         const BucketKind& kind)
    : BucketLimiter(limits, clock, kind),
      sql_(kSqliteDialect, kind.table),
      conn_(std::move(conn)) {}

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
  auto stmt = Bound(sql_.take, user_id, now_ms);
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
  auto stmt = Bound(sql_.refund, user_id, now_ms);
  if (!stmt.ok()) return stmt.status();
  return stmt->Run();
}

Result<std::optional<StoredBuckets>> SqliteUploadLimiter::Select(std::string_view user_id) {
  std::lock_guard lock(mu_);
  auto stmt = conn_->Prepare(sql_.select.c_str());
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Bind(1, user_id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<StoredBuckets>();
  return std::optional<StoredBuckets>(StoredBuckets{stmt->Int(0), stmt->Int(1), stmt->Int(2)});
}

}  // namespace ingestd::limits
