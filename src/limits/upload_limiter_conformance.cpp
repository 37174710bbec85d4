#include "limits/upload_limiter_conformance.h"

#include <atomic>
#include <thread>
#include <vector>

#include "limits/token_bucket.h"

namespace ingestd::limits {

std::string LimiterBackendName(const ::testing::TestParamInfo<LimiterBackend>& info) {
  return info.param.name;
}

void UploadLimiterConformanceTest::SetUp() {
  url_ = GetParam().new_database_url();
  ASSERT_FALSE(url_.empty());
}

void UploadLimiterConformanceTest::TearDown() {
  if (!url_.empty()) GetParam().drop_database(url_);
}

std::unique_ptr<UploadLimiter> UploadLimiterConformanceTest::Open(const UploadLimits& limits,
                                                                  const BucketKind& kind) {
  auto limiter = OpenUploadLimiter(url_, limits, &clock_, kind);
  EXPECT_TRUE(limiter.ok()) << limiter.status().ToString();
  return limiter.ok() ? std::move(*limiter) : nullptr;
}

namespace {

UploadLimits PerMinute(int64_t n) { return UploadLimits{.per_minute = n}; }

// Takes n tokens that must all be granted.
void TakeN(UploadLimiter& l, const std::string& user, int n) {
  for (int i = 0; i < n; ++i) ASSERT_TRUE(l.Take(user).ok()) << "take " << i;
}

TEST_P(UploadLimiterConformanceTest, ANewUserHasFullBuckets) {
  auto l = Open(UploadLimits{.per_minute = 5, .per_day = 100});
  ASSERT_TRUE(l);
  auto a = l->Peek("alice");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(a->minute && a->day);
  EXPECT_EQ(a->minute->limit, 5);
  EXPECT_EQ(a->minute->remaining, 5);
  EXPECT_EQ(a->minute->full_ms, clock_.NowMillis());
  EXPECT_EQ(a->day->remaining, 100);
}

TEST_P(UploadLimiterConformanceTest, RefusesWhenTheMinuteBucketIsEmptyUntilOneTokenRefilled) {
  auto l = Open(PerMinute(3));
  ASSERT_TRUE(l);
  TakeN(*l, "alice", 3);
  Status refused = l->Take("alice");
  EXPECT_EQ(refused.kind(), Kind::kRateLimited);
  EXPECT_EQ(refused.code(), kMinuteExceeded);
  EXPECT_TRUE(refused.retryable());
  // 3 per minute: a token every 20 s, the first one 20 s after the bucket started to refill.
  EXPECT_EQ(refused.retry_after_ms(), 20'000);
  clock_.Advance(19'999);
  EXPECT_EQ(l->Take("alice").retry_after_ms(), 1);
  clock_.Advance(1);
  EXPECT_TRUE(l->Take("alice").ok());
  EXPECT_EQ(l->Take("alice").retry_after_ms(), 20'000);
}

TEST_P(UploadLimiterConformanceTest, RefillsContinuouslyUpToTheLimitOnly) {
  auto l = Open(PerMinute(6));
  ASSERT_TRUE(l);
  TakeN(*l, "alice", 6);
  clock_.Advance(25'000);  // 2.5 tokens
  auto a = l->Peek("alice");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->minute->remaining, 2);
  EXPECT_EQ(a->minute->next_token_ms, clock_.NowMillis() + 5'000);
  EXPECT_EQ(a->minute->full_ms, clock_.NowMillis() + 35'000);
  TakeN(*l, "alice", 2);
  EXPECT_FALSE(l->Take("alice").ok());
  clock_.Advance(3'600'000);  // an hour: full, never more than the limit
  a = l->Peek("alice");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->minute->remaining, 6);
  TakeN(*l, "alice", 6);
  EXPECT_FALSE(l->Take("alice").ok());
}

TEST_P(UploadLimiterConformanceTest, TheDayBucketRefillsOverTwentyFourHours) {
  auto l = Open(UploadLimits{.per_minute = 100, .per_day = 2});
  ASSERT_TRUE(l);
  TakeN(*l, "alice", 2);
  Status refused = l->Take("alice");
  EXPECT_EQ(refused.code(), kDayExceeded);
  EXPECT_EQ(refused.retry_after_ms(), 43'200'000);  // half a day per token
  clock_.Advance(43'200'000 - 1);
  EXPECT_EQ(l->Take("alice").code(), kDayExceeded);
  clock_.Advance(1);
  EXPECT_TRUE(l->Take("alice").ok());
  auto a = l->Peek("alice");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->day->remaining, 0);
  EXPECT_EQ(a->day->full_ms, clock_.NowMillis() + 86'400'000);
  EXPECT_EQ(a->minute->remaining, 99);  // refilled in the half day
}

TEST_P(UploadLimiterConformanceTest, ARefusalNamesTheBucketWhoseTokenComesBackLast) {
  auto l = Open(UploadLimits{.per_minute = 1, .per_day = 1});
  ASSERT_TRUE(l);
  TakeN(*l, "alice", 1);
  Status refused = l->Take("alice");
  EXPECT_EQ(refused.code(), kDayExceeded);
  EXPECT_EQ(refused.retry_after_ms(), 86'400'000);
  // A refusal takes nothing from the bucket that had a token.
  auto day_only = Open(UploadLimits{.per_minute = 2, .per_day = 1});
  ASSERT_TRUE(day_only);
  clock_.Advance(60'000);
  auto a = day_only->Peek("alice");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->minute->remaining, 2);
  EXPECT_EQ(a->day->remaining, 0);
}

TEST_P(UploadLimiterConformanceTest, UsersHaveBucketsOfTheirOwn) {
  auto l = Open(PerMinute(1));
  ASSERT_TRUE(l);
  TakeN(*l, "alice", 1);
  EXPECT_FALSE(l->Take("alice").ok());
  EXPECT_TRUE(l->Take("bob").ok());
}

// Searches count in buckets of their own: they take no upload token, and their refusals are
// theirs.
TEST_P(UploadLimiterConformanceTest, SearchBucketsAreApartFromUploadBuckets) {
  auto uploads = Open(PerMinute(1));
  auto searches = Open(PerMinute(2), kSearchBuckets);
  ASSERT_TRUE(uploads && searches);
  TakeN(*searches, "alice", 2);
  Status refused = searches->Take("alice");
  EXPECT_EQ(refused.code(), kSearchMinuteExceeded);
  EXPECT_EQ(refused.retry_after_ms(), 30'000);
  EXPECT_NE(refused.message().find("search rate limit of 2 per minute"), std::string::npos)
      << refused.message();
  TakeN(*uploads, "alice", 1);
  EXPECT_EQ(uploads->Take("alice").code(), kMinuteExceeded);
  // Another handle on the search table (another process) sees the same empty bucket.
  auto other = Open(PerMinute(2), kSearchBuckets);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->Take("alice").code(), kSearchMinuteExceeded);
  clock_.Advance(30'000);
  EXPECT_TRUE(other->Take("alice").ok());
}

TEST_P(UploadLimiterConformanceTest, ARefundGivesOneTokenBackButNeverBeyondTheLimit) {
  auto l = Open(PerMinute(2));
  ASSERT_TRUE(l);
  TakeN(*l, "alice", 2);
  ASSERT_TRUE(l->Refund("alice").ok());
  TakeN(*l, "alice", 1);
  EXPECT_FALSE(l->Take("alice").ok());
  clock_.Advance(60'000);
  ASSERT_TRUE(l->Refund("alice").ok());
  ASSERT_TRUE(l->Refund("alice").ok());
  auto a = l->Peek("alice");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->minute->remaining, 2);
}

TEST_P(UploadLimiterConformanceTest, NewLimitsApplyToStoredBuckets) {
  auto minute_only = Open(PerMinute(10));
  ASSERT_TRUE(minute_only);
  TakeN(*minute_only, "alice", 4);  // 6 left; the day bucket is unlimited
  // A restart with a lower minute limit caps what is left; a new day limit starts full.
  auto both = Open(UploadLimits{.per_minute = 3, .per_day = 5});
  ASSERT_TRUE(both);
  auto a = both->Peek("alice");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->minute->remaining, 3);
  EXPECT_EQ(a->day->remaining, 5);
  TakeN(*both, "alice", 3);
  EXPECT_EQ(both->Take("alice").code(), kMinuteExceeded);
}

TEST_P(UploadLimiterConformanceTest, AClockBehindTheLastWriterRefillsNothing) {
  auto l = Open(PerMinute(2));
  ASSERT_TRUE(l);
  TakeN(*l, "alice", 2);
  clock_.Advance(-30'000);  // another process's clock, 30 s behind
  EXPECT_EQ(l->Take("alice").code(), kMinuteExceeded);
  clock_.Advance(30'000 + 30'000);  // 30 s after the last take: one token back
  TakeN(*l, "alice", 1);
  EXPECT_FALSE(l->Take("alice").ok());
}

TEST_P(UploadLimiterConformanceTest, WithoutRateLimitsEveryTakeSucceeds) {
  auto l = Open(UploadLimits{});
  ASSERT_TRUE(l);
  TakeN(*l, "alice", 50);
  auto a = l->Peek("alice");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->minute || a->day);
}

// Two handles (two processes) and many threads taking at one instant: exactly the limit.
TEST_P(UploadLimiterConformanceTest, ConcurrentTakesFromManyHandlesNeverExceedTheLimit) {
  constexpr int kLimit = 25, kThreads = 8, kTakesPerThread = 10;
  auto first = Open(PerMinute(kLimit));
  auto second = Open(PerMinute(kLimit));
  ASSERT_TRUE(first && second);
  std::atomic<int> granted{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      UploadLimiter& l = t % 2 == 0 ? *first : *second;
      for (int i = 0; i < kTakesPerThread; ++i) {
        Status s = l.Take("alice");
        if (s.ok()) {
          ++granted;
        } else if (s.code() != kMinuteExceeded) {
          ++failed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(granted.load(), kLimit);
}

}  // namespace
}  // namespace ingestd::limits
