// SqliteUploadLimiter: the buckets of one kind in a SQLite file, normally the store's own
// database (its table, e.g. limits_upload_buckets, migrated by the limiter itself through
// limits_migrations), so every process on the file shares the buckets. Each decision is one
// UPSERT statement (bucket_sql.h), atomic under SQLite's write lock.
//
// Thread safety: one connection behind a mutex; many instances (threads or processes) may
// share the file, serialized by SQLite's write lock and busy timeout.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "db/sqlite_db.h"
#include "limits/bucket_limiter.h"
#include "limits/bucket_sql.h"

namespace ingestd::limits {

class SqliteUploadLimiter final : public BucketLimiter {
 public:
  // path: the SQLite file (created when missing). clock must outlive the limiter.
  static Result<std::unique_ptr<SqliteUploadLimiter>> Open(const std::string& path,
                                                           const UploadLimits& limits, Clock* clock,
                                                           const BucketKind& kind);

 protected:
  Result<bool> RunTake(std::string_view user_id, int64_t now_ms) override;
  Status RunRefund(std::string_view user_id, int64_t now_ms) override;
  Result<std::optional<StoredBuckets>> Select(std::string_view user_id) override;

 private:
  SqliteUploadLimiter(std::unique_ptr<sqlite::SqliteConn> conn, const UploadLimits& limits,
                      Clock* clock, const BucketKind& kind);
  // A statement of bucket_sql.h with its five parameters bound.
  Result<sqlite::Stmt> Bound(const std::string& sql, std::string_view user_id, int64_t now_ms);

  const BucketStatements sql_;
  std::mutex mu_;
  std::unique_ptr<sqlite::SqliteConn> conn_;  // guarded by mu_
};

}  // namespace ingestd::limits
