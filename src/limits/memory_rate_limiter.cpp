#include "limits/memory_rate_limiter.h"

#include <algorithm>
#include <utility>

#include "limits/token_bucket.h"

namespace ingestd::limits {

MemoryRateLimiter::MemoryRateLimiter(int64_t per_minute, std::string code, std::string what,
                                     const Clock* clock)
    : per_minute_(per_minute), code_(std::move(code)), what_(std::move(what)), clock_(clock) {}

Status MemoryRateLimiter::Take(std::string_view user_id) {
  const int64_t now = clock_->NowMillis();
  std::lock_guard lock(mu_);
  auto [it, inserted] =
      buckets_.try_emplace(std::string(user_id), Bucket{per_minute_ * kMinuteMs, now});
  Bucket& b = it->second;
  const int64_t units = RefilledUnits(b.units, b.updated_ms, per_minute_, kMinuteMs, now);
  if (units >= kMinuteMs) {
    b = {units - kMinuteMs, std::max(b.updated_ms, now)};
    return Status();
  }
  const BucketState state = StateOf(units, per_minute_, kMinuteMs, now);
  const int64_t wait = std::max<int64_t>(1, state.next_token_ms - now);
  return Status::Error(Kind::kRateLimited, code_,
                       what_ + " rate limit of " + std::to_string(per_minute_) +
                           " per minute reached; the next one is allowed at " +
                           FormatRfc3339(now + wait),
                       /*retryable=*/true)
      .WithRetryAfterMs(wait);
}

}  // namespace ingestd::limits
