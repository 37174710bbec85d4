#include "limits/bucket_limiter.h"

#include "limits/token_bucket.h"

namespace ingestd::limits {
namespace {

std::optional<BucketState> BucketOf(const std::optional<StoredBuckets>& row, int64_t units_of_row,
                                    int64_t limit, int64_t period_ms, int64_t now_ms) {
  if (limit <= 0) return std::nullopt;
  const int64_t refilled =
      row ? RefilledUnits(units_of_row, row->updated_ms, limit, period_ms, now_ms)
          : limit * period_ms;
  return StateOf(refilled, limit, period_ms, now_ms);
}

}  // namespace

UploadAllowance AllowanceOf(const std::optional<StoredBuckets>& row, const UploadLimits& limits,
                            int64_t now_ms) {
  UploadAllowance a;
  a.minute = BucketOf(row, row ? row->minute_units : 0, limits.per_minute, kMinuteMs, now_ms);
  a.day = BucketOf(row, row ? row->day_units : 0, limits.per_day, kDayMs, now_ms);
  return a;
}

Status BucketLimiter::Take(std::string_view user_id) {
  if (!limits_.rate_limited()) return Status();
  const int64_t now = clock_->NowMillis();
  Result<bool> taken = RunTake(user_id, now);
  if (!taken.ok()) return taken.status();
  if (*taken) return Status();
  Result<std::optional<StoredBuckets>> row = Select(user_id);
  if (!row.ok()) return row.status();
  return Refusal(AllowanceOf(*row, limits_, now), now, kind_);
}

Status BucketLimiter::Refund(std::string_view user_id) {
  if (!limits_.rate_limited()) return Status();
  return RunRefund(user_id, clock_->NowMillis());
}

Result<UploadAllowance> BucketLimiter::Peek(std::string_view user_id) {
  const int64_t now = clock_->NowMillis();
  if (!limits_.rate_limited()) return AllowanceOf(std::nullopt, limits_, now);
  Result<std::optional<StoredBuckets>> row = Select(user_id);
  if (!row.ok()) return row.status();
  return AllowanceOf(*row, limits_, now);
}

}  // namespace ingestd::limits
