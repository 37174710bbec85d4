#include "limits/pg_upload_limiter.h"

#include "db/pg_subsystem_db.h"
#include "limits/bucket_sql.h"
#include "limits/token_bucket.h"

namespace ingestd::limits {
namespace {

using pg::PgConn;
using pg::PgParams;
using pg::PgResult;

// Built once: connections prepare each statement once, keyed by its address.
struct Statements {
  std::string create = CreateBucketsSql(kPostgresDialect);
  std::string take = TakeSql(kPostgresDialect);
  std::string refund = RefundSql(kPostgresDialect);
  std::string select = SelectSql(kPostgresDialect);
};
const Statements& Sql() {
  static const Statements statements;
  return statements;
}

}  // namespace

Result<std::unique_ptr<PgUploadLimiter>> PgUploadLimiter::Open(const std::string& url,
                                                               const UploadLimits& limits,
                                                               Clock* clock) {
  std::unique_ptr<PgUploadLimiter> limiter(new PgUploadLimiter(url, limits, clock));
  if (Status s = limiter->Migrate(); !s.ok()) return s;
  return limiter;
}

// A take holds a connection for one statement: a few serve every handler thread.
PgUploadLimiter::PgUploadLimiter(const std::string& url, const UploadLimits& limits, Clock* clock)
    : BucketLimiter(limits, clock), pool_(url, pg::PgPoolOptions{.max_size = 4}) {}

Status PgUploadLimiter::Migrate() {
  const char* const migrations[] = {Sql().create.c_str()};
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
  Result<PgResult> r = Autocommit(Sql().take, Params(user_id, now_ms));
  if (!r.ok()) return r.status();
  return r->rows() > 0;  // RETURNING yields a row exactly when the tokens were taken
}

Status PgUploadLimiter::RunRefund(std::string_view user_id, int64_t now_ms) {
  Result<PgResult> r = Autocommit(Sql().refund, Params(user_id, now_ms));
  return r.ok() ? Status() : r.status();
}

Result<std::optional<StoredBuckets>> PgUploadLimiter::Select(std::string_view user_id) {
  Result<PgResult> r = Autocommit(Sql().select, PgParams().Add(user_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<StoredBuckets>();
  return std::optional<StoredBuckets>(StoredBuckets{r->Int(0, 0), r->Int(0, 1), r->Int(0, 2)});
}

}  // namespace ingestd::limits
