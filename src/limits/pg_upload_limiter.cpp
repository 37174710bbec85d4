#include "limits/pg_upload_limiter.h"

#include "db/pg_subsystem_db.h"
#include "limits/bucket_sql.h"
#include "limits/token_bucket.h"

namespace ingestd::limits {
using pg::PgParams;
using pg::PgResult;

Result<std::unique_ptr<PgUploadLimiter>> PgUploadLimiter::Open(const std::string& url,
                                                               const UploadLimits& limits,
                                                               Clock* clock,
                                                               const BucketKind& kind) {
  std::unique_ptr<PgUploadLimiter> limiter(new PgUploadLimiter(url, limits, clock, kind));
  if (Status s = limiter->Migrate(); !s.ok()) return s;
  return limiter;
}

// A take holds a connection for one statement: a few serve every handler thread.
PgUploadLimiter::PgUploadLimiter(const std::string& url, const UploadLimits& limits, Clock* clock,
                                 const BucketKind& kind)
    : BucketLimiter(limits, clock, kind),
      sql_(kPostgresDialect, kind.table),
      pool_(url, pg::PgPoolOptions{.max_size = 4}) {}

Status PgUploadLimiter::Migrate() {
  const std::vector<std::string> sql = BucketMigrations(kPostgresDialect);
  std::vector<const char*> migrations;
  for (const std::string& m : sql) migrations.push_back(m.c_str());
  return pg::MigrateSubsystem(pool_, "limits", migrations);
}

PgParams PgUploadLimiter::Params(std::string_view user_id, int64_t now_ms) const {
  return PgParams()
      .Add(user_id)
      .Add(limits().per_minute)
      .Add(limits().per_day)
      .Add(now_ms)
      .Add(kUnlimitedUnits);
}

Result<PgResult> PgUploadLimiter::Autocommit(const std::string& sql, const PgParams& params) {
  for (int attempt = 1;; ++attempt) {
    Result<pg::PooledConn> conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    Result<PgResult> result = (*conn)->Query(sql.c_str(), params);
    if (result.ok() || (*conn)->healthy() || attempt == 2) return result;
  }
}

Result<bool> PgUploadLimiter::RunTake(std::string_view user_id, int64_t now_ms) {
  Result<PgResult> r = Autocommit(sql_.take, Params(user_id, now_ms));
  if (!r.ok()) return r.status();
  return r->rows() > 0;  // RETURNING yields a row exactly when the tokens were taken
}

Status PgUploadLimiter::RunRefund(std::string_view user_id, int64_t now_ms) {
  Result<PgResult> r = Autocommit(sql_.refund, Params(user_id, now_ms));
  return r.ok() ? Status() : r.status();
}

Result<std::optional<StoredBuckets>> PgUploadLimiter::Select(std::string_view user_id) {
  Result<PgResult> r = Autocommit(sql_.select, PgParams().Add(user_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<StoredBuckets>();
  return std::optional<StoredBuckets>(StoredBuckets{r->Int(0, 0), r->Int(0, 1), r->Int(0, 2)});
}

}  // namespace ingestd::limits
