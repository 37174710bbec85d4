// The token-bucket arithmetic shared by every UploadLimiter backend: the SQL of a backend
// applies the same formula (RefilledUnits) inside its atomic statements; this file turns
// a stored bucket into what callers see (remaining tokens, refill times, refusals).
//
// Units: a bucket of `limit` tokens over `period_ms` counts in units of 1/period_ms token,
// so one token is period_ms units, the full bucket limit * period_ms units, and refilling
// adds exactly `limit` units per elapsed millisecond. Everything is exact int64 arithmetic
// (limits are bounded: kMaxPerMinute, kMaxPerDay), in C++ and in SQL alike.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "limits/upload_limiter.h"

namespace ingestd::limits {

inline constexpr int64_t kMinuteMs = 60'000;
inline constexpr int64_t kDayMs = 86'400'000;
inline constexpr int64_t kMaxPerMinute = 1'000'000;
inline constexpr int64_t kMaxPerDay = 100'000'000;
// Stored for a bucket without a limit: more than any full bucket (kMaxPerDay * kDayMs), so a
// limit configured later starts full; small enough that adding a refill cannot overflow.
inline constexpr int64_t kUnlimitedUnits = 100'000'000'000'000'000;

// The bucket's units at now_ms: stored units plus the refill since updated_ms (never
// negative: a clock behind the writer's refills nothing), capped at the full bucket.
int64_t RefilledUnits(int64_t units, int64_t updated_ms, int64_t limit, int64_t period_ms,
                      int64_t now_ms);

// The view of a bucket holding `refilled` units (RefilledUnits) at now_ms.
BucketState StateOf(int64_t refilled, int64_t limit, int64_t period_ms, int64_t now_ms);

// The refusal for a take (of `kind`) that found a bucket of `allowance` empty: the code of
// the bucket whose token comes back last, retry_after_ms until every bucket has one (at least
// 1 ms: a bucket refilled between the take and this read still means "try again").
Status Refusal(const UploadAllowance& allowance, int64_t now_ms, const BucketKind& kind);

}  // namespace ingestd::limits
