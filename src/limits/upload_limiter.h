// UploadLimiter: per-user rate limits (token buckets) whose state lives in the store's
// database, so every process serving one SQLite file or one PostgreSQL database draws from
// the same buckets. Uploads are its first kind; searches (INGESTD_SEARCHES_PER_MINUTE) are
// another, with buckets of their own (BucketKind), so a search never takes an upload token.
//
// Buckets: up to two per user, one refilled over a minute (per_minute tokens at most) and
// one over a day (per_day). Each refills continuously: a bucket of limit L regains one token
// every period/L ms, up to L (token_bucket.h). A new user starts with full buckets. An
// upload takes one token from every configured bucket, or none (Take): the decision is one
// atomic conditional UPSERT in the database, never a read followed by a write.
//
// Thread safety: implementations are thread-safe, and many instances (threads or processes)
// may share one database. Failures of the database are the store's codes (DB_BUSY,
// DB_UNAVAILABLE, DB_ERROR); the API refuses the upload then (it fails closed).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace ingestd::limits {

// Stable codes of the refusals (kRateLimited, 429, retryable, with retry_after_ms).
inline constexpr char kMinuteExceeded[] = "UPLOAD_RATE_MINUTE_EXCEEDED";
inline constexpr char kDayExceeded[] = "UPLOAD_RATE_DAY_EXCEEDED";
inline constexpr char kSearchMinuteExceeded[] = "SEARCH_RATE_MINUTE_EXCEEDED";
inline constexpr char kSearchDayExceeded[] = "SEARCH_RATE_DAY_EXCEEDED";

// What a limiter's buckets count: the table holding them (one row per user) and the codes
// and wording of its refusals.
struct BucketKind {
  const char* table;
  const char* minute_code;
  const char* day_code;
  const char* what;  // "upload" | "search"
};
inline constexpr BucketKind kUploadBuckets{"limits_upload_buckets", kMinuteExceeded, kDayExceeded,
                                           "upload"};
inline constexpr BucketKind kSearchBuckets{"limits_search_buckets", kSearchMinuteExceeded,
                                           kSearchDayExceeded, "search"};

// The per-user limits of uploads; 0 = no limit.
struct UploadLimits {
  int64_t per_minute = 0;   // INGESTD_UPLOADS_PER_MINUTE
  int64_t per_day = 0;      // INGESTD_UPLOADS_PER_DAY
  int max_active_jobs = 0;  // INGESTD_MAX_ACTIVE_JOBS_PER_USER (enforced by the Store)
  bool rate_limited() const { return per_minute > 0 || per_day > 0; }
};

// One bucket of one user as of `now`.
struct BucketState {
  int64_t limit = 0;          // tokens when full
  int64_t remaining = 0;      // whole tokens available now
  int64_t next_token_ms = 0;  // when the next whole token is back (now when full)
  int64_t full_ms = 0;        // when the bucket is full again (now when full)
};

struct UploadAllowance {
  std::optional<BucketState> minute;  // nullopt: no per-minute limit
  std::optional<BucketState> day;     // nullopt: no per-day limit
};

class UploadLimiter {
 public:
  virtual ~UploadLimiter() = default;

  // Takes one token from each of the user's buckets, or, when any is empty, none and fails
  // with kRateLimited and the kind's minute_code / day_code (the bucket whose token comes
  // back last) and retry_after_ms = until every bucket has a token.
  virtual Status Take(std::string_view user_id) = 0;
  // Gives back one token taken by Take (for an upload that ended up creating nothing, such
  // as a duplicate); never beyond the limit.
  virtual Status Refund(std::string_view user_id) = 0;
  // The user's buckets now, without changing them.
  virtual Result<UploadAllowance> Peek(std::string_view user_id) = 0;

  virtual const UploadLimits& limits() const = 0;
};

// Opens the limiter of `kind` on the store's database: "sqlite://…"/a file path (SQLite) or
// "postgres://…"/"postgresql://…"; creates or upgrades its tables (limits_*, every kind's).
// clock must outlive the limiter. Only the rate limits of `limits` are used here.
Result<std::unique_ptr<UploadLimiter>> OpenUploadLimiter(const std::string& database_url,
                                                         const UploadLimits& limits, Clock* clock,
                                                         const BucketKind& kind = kUploadBuckets);

}  // namespace ingestd::limits
