// The bucket arithmetic on its own: refill, caps, refill times and which refusal is named.
#include "limits/token_bucket.h"

#include <gtest/gtest.h>

namespace ingestd::limits {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

TEST(TokenBucketTest, RefillAddsTheLimitInUnitsPerMillisecondUpToFull) {
  // 3 per minute: a token (60000 units) every 20 s.
  EXPECT_EQ(RefilledUnits(0, kNow, 3, kMinuteMs, kNow + 20'000), 60'000);
  EXPECT_EQ(RefilledUnits(0, kNow, 3, kMinuteMs, kNow + 19'999), 59'997);
  EXPECT_EQ(RefilledUnits(0, kNow, 3, kMinuteMs, kNow + 10 * kDayMs), 3 * kMinuteMs);
  EXPECT_EQ(RefilledUnits(60'000, kNow, 3, kMinuteMs, kNow - 5'000), 60'000);  // clock behind
  EXPECT_EQ(RefilledUnits(kUnlimitedUnits, kNow, 3, kMinuteMs, kNow), 3 * kMinuteMs);
  EXPECT_EQ(RefilledUnits(kUnlimitedUnits, 0, kMaxPerDay, kDayMs, kNow), kMaxPerDay * kDayMs);
}

TEST(TokenBucketTest, StateOfAPartlyRefilledBucket) {
  // 7 per minute holding 2.5 tokens: the third whole token after 0.5 * 60000 / 7 ms.
  const int64_t units = 5 * kMinuteMs / 2;
  BucketState b = StateOf(units, 7, kMinuteMs, kNow);
  EXPECT_EQ(b.limit, 7);
  EXPECT_EQ(b.remaining, 2);
  EXPECT_EQ(b.next_token_ms, kNow + 4'286);  // ceil(30000 / 7)
  EXPECT_EQ(b.full_ms, kNow + 38'572);       // ceil(270000 / 7)
  BucketState full = StateOf(7 * kMinuteMs, 7, kMinuteMs, kNow);
  EXPECT_EQ(full.remaining, 7);
  EXPECT_EQ(full.next_token_ms, kNow);
  EXPECT_EQ(full.full_ms, kNow);
}

TEST(TokenBucketTest, RefusalNamesTheLongerWaitAndNeverWaitsZero) {
  UploadAllowance a;
  a.minute = StateOf(0, 2, kMinuteMs, kNow);  // next token in 30 s
  a.day = StateOf(kDayMs, 10, kDayMs, kNow);  // one token left
  Status s = Refusal(a, kNow, kUploadBuckets);
  EXPECT_EQ(s.kind(), Kind::kRateLimited);
  EXPECT_EQ(s.code(), kMinuteExceeded);
  EXPECT_EQ(s.retry_after_ms(), 30'000);
  a.day = StateOf(0, 10, kDayMs, kNow);  // next token in 2.4 h
  s = Refusal(a, kNow, kUploadBuckets);
  EXPECT_EQ(s.code(), kDayExceeded);
  EXPECT_EQ(s.retry_after_ms(), 8'640'000);
  a.minute = StateOf(kMinuteMs, 2, kMinuteMs, kNow);
  a.day.reset();  // refilled between the take and the read
  s = Refusal(a, kNow, kUploadBuckets);
  EXPECT_EQ(s.code(), kMinuteExceeded);
  EXPECT_EQ(s.retry_after_ms(), 1);
  // Another kind's refusal carries its own code and words.
  a.minute = StateOf(0, 2, kMinuteMs, kNow);
  s = Refusal(a, kNow, kSearchBuckets);
  EXPECT_EQ(s.code(), kSearchMinuteExceeded);
  EXPECT_TRUE(s.message().starts_with("search rate limit of 2 per minute reached; the next search"))
      << s.message();
}

}  // namespace
}  // namespace ingestd::limits
