// PgUploadLimiter: the buckets of one kind in the store's PostgreSQL database (its table,
// e.g. limits_upload_buckets, migrated by the limiter itself through limits_migrations under
// an advisory lock, so processes starting together migrate once). Each decision is one UPSERT
// statement (bucket_sql.h): concurrent takes of one user queue on the row lock and each
// re-evaluates the condition on the row the previous one committed.
//
// Thread safety: a small connection pool of its own; thread-safe, and any number of
// processes may share the database.
#pragma once

#include <memory>
#include <string>

#include "db/pg_pool.h"
#include "limits/bucket_limiter.h"
#include "limits/bucket_sql.h"

namespace ingestd::limits {

class PgUploadLimiter final : public BucketLimiter {
 public:
  // url: a libpq connection URL. clock must outlive the limiter.
  static Result<std::unique_ptr<PgUploadLimiter>> Open(const std::string& url,
                                                       const UploadLimits& limits, Clock* clock,
                                                       const BucketKind& kind);

 protected:
  Result<bool> RunTake(std::string_view user_id, int64_t now_ms) override;
  Status RunRefund(std::string_view user_id, int64_t now_ms) override;
  Result<std::optional<StoredBuckets>> Select(std::string_view user_id) override;

 private:
  PgUploadLimiter(const std::string& url, const UploadLimits& limits, Clock* clock,
                  const BucketKind& kind);
  Status Migrate();
  // Runs a statement of bucket_sql.h outside a transaction (it is atomic on its own), once
  // more on a fresh connection when the pooled one turned out broken.
  Result<pg::PgResult> Autocommit(const std::string& sql, const pg::PgParams& params);
  pg::PgParams Params(std::string_view user_id, int64_t now_ms) const;

  const BucketStatements sql_;
  pg::PgPool pool_;
};

}  // namespace ingestd::limits
