#include "core/backoff.h"

#include <gtest/gtest.h>

namespace ingestd {
namespace {

TEST(Backoff, ExponentialWithoutJitterThenCapped) {
  BackoffPolicy p{.base_delay_ms = 1000, .max_delay_ms = 60000, .jitter = Jitter::kNone};
  EXPECT_EQ(BackoffDelayMs(p, 1, 0.5), 1000);
  EXPECT_EQ(BackoffDelayMs(p, 2, 0.5), 2000);
  EXPECT_EQ(BackoffDelayMs(p, 6, 0.5), 32000);
  EXPECT_EQ(BackoffDelayMs(p, 7, 0.5), 60000);
  EXPECT_EQ(BackoffDelayMs(p, 5000, 0.5), 60000);  // no overflow
  EXPECT_EQ(BackoffDelayMs(p, 0, 0.5), 1000);      // attempts below 1 count as 1
}

TEST(Backoff, EqualJitterStaysInUpperHalf) {
  BackoffPolicy p{.base_delay_ms = 1000, .max_delay_ms = 60000, .jitter = Jitter::kEqual};
  for (int attempt = 1; attempt <= 10; ++attempt) {
    int64_t d = std::min<int64_t>(60000, 1000LL << (attempt - 1));
    EXPECT_EQ(BackoffDelayMs(p, attempt, 0.0), d / 2);
    EXPECT_LE(BackoffDelayMs(p, attempt, 0.999999), d);
    EXPECT_GE(BackoffDelayMs(p, attempt, 0.999999), d - 1);
    int64_t mid = BackoffDelayMs(p, attempt, 0.5);
    EXPECT_EQ(mid, d * 3 / 4);
  }
}

TEST(Backoff, FullJitterSpansZeroToDelay) {
  BackoffPolicy p{.base_delay_ms = 1000, .max_delay_ms = 60000, .jitter = Jitter::kFull};
  EXPECT_EQ(BackoffDelayMs(p, 3, 0.0), 0);
  EXPECT_EQ(BackoffDelayMs(p, 3, 0.25), 1000);
  EXPECT_EQ(BackoffDelayMs(p, 3, 2.0), 4000);  // out-of-range draws are clamped
}

TEST(Backoff, SuggestedDelayIsAFloorButCapped) {
  BackoffPolicy p{.base_delay_ms = 1000, .max_delay_ms = 60000, .jitter = Jitter::kNone};
  EXPECT_EQ(BackoffDelayMs(p, 1, 0.5, 5000), 5000);
  EXPECT_EQ(BackoffDelayMs(p, 3, 0.5, 100), 4000);
  EXPECT_EQ(BackoffDelayMs(p, 1, 0.5, 3'600'000), 60000);
}

}  // namespace
}  // namespace ingestd
