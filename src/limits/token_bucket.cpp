#include "limits/token_bucket.h"

#include <algorithm>
#include <string>

namespace ingestd::limits {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

// Milliseconds until the bucket holds a whole token (0 when it does).
int64_t WaitForToken(const BucketState& b, int64_t now_ms) {
  return b.remaining > 0 ? 0 : b.next_token_ms - now_ms;
}

}  // namespace

int64_t RefilledUnits(int64_t units, int64_t updated_ms, int64_t limit, int64_t period_ms,
                      int64_t now_ms) {
  const int64_t elapsed = std::clamp<int64_t>(now_ms - updated_ms, 0, period_ms);
  return std::min(limit * period_ms, units + elapsed * limit);
}

BucketState StateOf(int64_t refilled, int64_t limit, int64_t period_ms, int64_t now_ms) {
  BucketState b;
  b.limit = limit;
  b.remaining = refilled / period_ms;
  const int64_t full = limit * period_ms;
  b.full_ms = now_ms + CeilDiv(full - refilled, limit);
  b.next_token_ms = b.remaining >= limit
                        ? now_ms
                        : now_ms + CeilDiv((b.remaining + 1) * period_ms - refilled, limit);
  return b;
}

Status Refusal(const UploadAllowance& allowance, int64_t now_ms, const BucketKind& kind) {
  const int64_t minute_wait = allowance.minute ? WaitForToken(*allowance.minute, now_ms) : 0;
  const int64_t day_wait = allowance.day ? WaitForToken(*allowance.day, now_ms) : 0;
  const bool day = allowance.day && (day_wait > minute_wait || !allowance.minute);
  const BucketState& b = day ? *allowance.day : *allowance.minute;
  const int64_t wait = std::max<int64_t>(1, std::max(minute_wait, day_wait));
  const std::string what = kind.what;
  std::string message = what + " rate limit of " + std::to_string(b.limit) + " per " +
                        (day ? "day" : "minute") + " reached; the next " + what +
                        " is allowed at " + FormatRfc3339(now_ms + wait);
  return Status::Error(Kind::kRateLimited, day ? kind.day_code : kind.minute_code,
                       std::move(message), /*retryable=*/true)
      .WithRetryAfterMs(wait);
}

}  // namespace ingestd::limits
