#include "services/http/retry_hints.h"

#include <gtest/gtest.h>

namespace ingestd::http {
namespace {

HttpResponse With(Headers headers) {
  HttpResponse r;
  r.status = 429;
  r.headers = std::move(headers);
  return r;
}

TEST(ParseDurationMs, GoStyleDurations) {
  EXPECT_EQ(ParseDurationMs("6m0s"), 360'000);
  EXPECT_EQ(ParseDurationMs("12ms"), 12);
  EXPECT_EQ(ParseDurationMs("1.5s"), 1'500);
  EXPECT_EQ(ParseDurationMs("1h2m3s"), 3'723'000);
  EXPECT_EQ(ParseDurationMs("250us"), 1);  // rounded up: never retry early
  EXPECT_EQ(ParseDurationMs("0s"), 0);
  EXPECT_EQ(ParseDurationMs("20"), 20'000);  // bare seconds
  EXPECT_EQ(ParseDurationMs(""), std::nullopt);
  EXPECT_EQ(ParseDurationMs("5 parsecs"), std::nullopt);
  EXPECT_EQ(ParseDurationMs("-1s"), std::nullopt);
  EXPECT_EQ(ParseDurationMs("s"), std::nullopt);
}

TEST(SuggestedRetryDelayMs, RetryAfterMsWinsOverRetryAfter) {
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"retry-after", "2"}, {"retry-after-ms", "150"}}), 0), 150);
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"retry-after", "2"}}), 0), 2'000);
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"retry-after", "0.25"}}), 0), 250);
}

TEST(SuggestedRetryDelayMs, HttpDateIsRelativeToNow) {
  // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 s.
  const int64_t now = 1'445'412'470'000;
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}}), now),
            10'000);
  EXPECT_EQ(
      SuggestedRetryDelayMs(With({{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}}), now + 60'000),
      0);
}

TEST(SuggestedRetryDelayMs, RateLimitResetOfTheExhaustedBudget) {
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"x-ratelimit-remaining-requests", "0"},
                                        {"x-ratelimit-reset-requests", "1.5s"},
                                        {"x-ratelimit-remaining-tokens", "90000"},
                                        {"x-ratelimit-reset-tokens", "6m0s"}}),
                                  0),
            1'500);
  EXPECT_EQ(
      SuggestedRetryDelayMs(
          With({{"x-ratelimit-reset-requests", "12ms"}, {"x-ratelimit-reset-tokens", "3s"}}), 0),
      3'000);
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"x-ratelimit-remaining-requests", "10"},
                                        {"x-ratelimit-reset-requests", "1s"}}),
                                  0),
            std::nullopt);
  EXPECT_EQ(SuggestedRetryDelayMs(With({}), 0), std::nullopt);
}

}  // namespace
}  // namespace ingestd::http
