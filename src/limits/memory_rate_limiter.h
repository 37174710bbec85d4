// MemoryRateLimiter: a per-user token bucket per minute (the arithmetic of token_bucket.h,
// shared with the upload buckets) held in this process's memory. For limits that need not be
// shared by processes: searches (INGESTD_SEARCHES_PER_MINUTE), which each API process serves
// from its own index. A new user starts with a full bucket. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/status.h"

namespace ingestd::limits {

class MemoryRateLimiter {
 public:
  // per_minute in 1..kMaxPerMinute; refusals carry `code`, their message names `what`
  // ("search"). clock must outlive the limiter.
  MemoryRateLimiter(int64_t per_minute, std::string code, std::string what, const Clock* clock);

  // Takes one token of the user's bucket, or fails with kRateLimited `code` (retryable) and
  // retry_after_ms until the next token is back.
  Status Take(std::string_view user_id);

 private:
  struct Bucket {
    int64_t units = 0;  // token_bucket.h units
    int64_t updated_ms = 0;
  };

  const int64_t per_minute_;
  const std::string code_, what_;
  const Clock* const clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace ingestd::limits
