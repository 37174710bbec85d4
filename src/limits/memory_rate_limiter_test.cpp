// The in-process per-user bucket: a full bucket to start, one token a take, refill over the
// minute, refusals with the configured code and a Retry-After until the next token; users
// apart. Time is a FakeClock.
#include "limits/memory_rate_limiter.h"

#include <gtest/gtest.h>

namespace ingestd::limits {
namespace {

TEST(MemoryRateLimiterTest, TakesUpToTheLimitThenRefusesUntilTheNextToken) {
  FakeClock clock;
  MemoryRateLimiter limiter(2, "SEARCH_RATE_MINUTE_EXCEEDED", "search", &clock);
  EXPECT_TRUE(limiter.Take("u1").ok());
  EXPECT_TRUE(limiter.Take("u1").ok());
  Status refused = limiter.Take("u1");
  EXPECT_EQ(refused.kind(), Kind::kRateLimited);
  EXPECT_EQ(refused.code(), "SEARCH_RATE_MINUTE_EXCEEDED");
  EXPECT_TRUE(refused.retryable());
  EXPECT_EQ(refused.retry_after_ms(), 30'000);  // 2 per minute: a token every 30 s
  EXPECT_TRUE(limiter.Take("u2").ok());         // another user's bucket is full
  clock.Advance(29'999);
  EXPECT_EQ(limiter.Take("u1").retry_after_ms(), 1);
  clock.Advance(1);
  EXPECT_TRUE(limiter.Take("u1").ok());
  EXPECT_FALSE(limiter.Take("u1").ok());
}

TEST(MemoryRateLimiterTest, ABucketRefillsNoFurtherThanFull) {
  FakeClock clock;
  MemoryRateLimiter limiter(1, "C", "search", &clock);
  EXPECT_TRUE(limiter.Take("u").ok());
  clock.Advance(10 * 60'000);
  EXPECT_TRUE(limiter.Take("u").ok());
  EXPECT_FALSE(limiter.Take("u").ok());
}

}  // namespace
}  // namespace ingestd::limits
