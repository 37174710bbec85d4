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

TEST(SuggestedRetryDelayMs, RateLimitResetIsNotAHint) {
  // x-ratelimit-reset-* is when the limit is full again, not when one request fits.
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"x-ratelimit-remaining-requests", "0"},
                                        {"x-ratelimit-reset-requests", "6m0s"},
                                        {"x-ratelimit-remaining-tokens", "0"},
                                        {"x-ratelimit-reset-tokens", "1.5s"}}),
                                  0),
            std::nullopt);
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"retry-after", "2"},
                                        {"x-ratelimit-remaining-requests", "0"},
                                        {"x-ratelimit-reset-requests", "6m0s"}}),
                                  0),
            2'000);
  EXPECT_EQ(SuggestedRetryDelayMs(With({}), 0), std::nullopt);
}

TEST(SuggestedRetryDelayMs, ServerHintsAreCappedAtTwoMinutes) {
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"retry-after", "3600"}}), 0), kMaxServerHintMs);
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"retry-after-ms", "600000"}}), 0), kMaxServerHintMs);
  const int64_t now = 1445412480000 - 86'400'000;  // a day before the date below
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}}), now),
            kMaxServerHintMs);
  EXPECT_EQ(SuggestedRetryDelayMs(With({{"retry-after", "120"}}), 0), 120'000);
}

TEST(RateLimitWaitMs, TimeUntilTheNeededShareHasRefilled) {
  const HttpResponse r = With({{"x-ratelimit-limit-requests", "3000"},
                               {"x-ratelimit-remaining-requests", "0"},
                               {"x-ratelimit-reset-requests", "60s"},
                               {"x-ratelimit-limit-tokens", "1000000"},
                               {"x-ratelimit-remaining-tokens", "500000"},
                               {"x-ratelimit-reset-tokens", "30s"}});
  EXPECT_EQ(RateLimitWaitMs(r, "requests", 1), 20);         // 60 s / 3000 per request
  EXPECT_EQ(RateLimitWaitMs(r, "requests", 3000), 60'000);  // the whole limit
  EXPECT_EQ(RateLimitWaitMs(r, "requests", 9000), 60'000);  // never more than the reset
  EXPECT_EQ(RateLimitWaitMs(r, "tokens", 400'000), 0);      // fits now
  EXPECT_EQ(RateLimitWaitMs(r, "tokens", 600'000), 6'000);  // 100k of 500k missing: 1/5
  EXPECT_EQ(RateLimitWaitMs(With({{"x-ratelimit-remaining-requests", "0"},
                                  {"x-ratelimit-reset-requests", "6m0s"}}),
                            "requests", 1),
            0);  // no limit header: nothing to go by
}

}  // namespace
}  // namespace ingestd::http
