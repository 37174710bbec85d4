// OpenUploadLimiter: the backend of the store's database URL (the store opened it first, so
// the URL is known to be valid and a SQLite file's directory exists).
#include <string_view>

#include "limits/pg_upload_limiter.h"
#include "limits/sqlite_upload_limiter.h"
#include "limits/upload_limiter.h"

namespace ingestd::limits {

Result<std::unique_ptr<UploadLimiter>> OpenUploadLimiter(const std::string& database_url,
                                                         const UploadLimits& limits, Clock* clock,
                                                         const BucketKind& kind) {
  std::string_view url = database_url;
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    auto limiter = PgUploadLimiter::Open(database_url, limits, clock, kind);
    if (!limiter.ok()) return limiter.status();
    return std::unique_ptr<UploadLimiter>(std::move(*limiter));
  }
  if (url.starts_with("sqlite://")) url.remove_prefix(std::string_view("sqlite://").size());
  auto limiter = SqliteUploadLimiter::Open(std::string(url), limits, clock, kind);
  if (!limiter.ok()) return limiter.status();
  return std::unique_ptr<UploadLimiter>(std::move(*limiter));
}

}  // namespace ingestd::limits
