#include "ledger/budget_preflight.h"

#include <gtest/gtest.h>

#include "ledger/windows.h"

namespace ingestd {
namespace {

constexpr int64_t kNow = 1'700'000'000'000 + 10 * 60'000;  // 10 minutes into some hour
const int64_t kHourStart = WindowStart(kNow, kHourMs);
const int64_t kDayStart = WindowStart(kNow, kDayMs);

WindowState Window(const std::string& scope, const std::string& metric, int64_t len, int64_t limit,
                   int64_t spent, int64_t reserved = 0) {
  int64_t start = len == kHourMs ? kHourStart : kDayStart;
  return {scope, metric, start, start + len, limit, spent, reserved};
}

TEST(EstimateJobCostTest, PagesFromThePdfOrFromTheSize) {
  PriceTable prices;  // the cost-effective tier by default: $0.00375 a page
  JobCostEstimate counted =
      EstimateJobCost(prices, {10 * 1024 * 1024, 12, true, true, "text-embedding-3-small"});
  EXPECT_TRUE(counted.pages_counted);
  EXPECT_EQ(counted.pages, 12);
  EXPECT_EQ(counted.tokens, 12 * kEstimatedTokensPerPage);
  EXPECT_EQ(counted.parse_nanos, 12 * 3'750'000);
  EXPECT_EQ(counted.embed_nanos, 12 * kEstimatedTokensPerPage * 20);
  EXPECT_EQ(counted.total_nanos(), counted.parse_nanos + counted.embed_nanos);

  JobCostEstimate sized = EstimateJobCost(
      prices, {3 * kEstimatedBytesPerPage + 1, -1, true, false, "text-embedding-3-small"});
  EXPECT_FALSE(sized.pages_counted);
  EXPECT_EQ(sized.pages, 4);        // rounded up
  EXPECT_EQ(sized.embed_nanos, 0);  // embedding not paid
  EXPECT_EQ(EstimateJobCost(prices, {10, -1, false, false, ""}).pages, 1);
  EXPECT_EQ(EstimateJobCost(prices, {10, -1, false, false, ""}).total_nanos(), 0);
}

TEST(CheckBudgetPreflightTest, FitsWhenEveryWindowHasRoom) {
  LedgerOptions o;
  o.daily_usd = 1.0;
  o.parse.hourly_usd = 0.5;
  std::vector<WindowState> windows = {Window("total", "usd", kDayMs, kNanosPerUsd, 400'000'000),
                                      Window("parse", "usd", kHourMs, kNanosPerUsd / 2, 0)};
  EXPECT_TRUE(CheckBudgetPreflight(o, windows, {{"parse", 500'000'000, 1}}, "alice", 0, kNow).ok());
  // No limits at all: anything fits.
  EXPECT_TRUE(
      CheckBudgetPreflight({}, {}, {{"parse", 1'000 * kNanosPerUsd, 1}}, "a", 0, kNow).ok());
}

TEST(CheckBudgetPreflightTest, SpentPlusReservedBlocksUntilTheWindowEnds) {
  LedgerOptions o;
  o.parse.hourly_usd = 1.0;
  std::vector<WindowState> windows = {
      Window("parse", "usd", kHourMs, kNanosPerUsd, 600'000'000, 300'000'000)};
  Status s = CheckBudgetPreflight(o, windows, {{"parse", 200'000'000, 1}}, "alice", 0, kNow);
  EXPECT_EQ(s.kind(), Kind::kBudgetExceeded);
  EXPECT_EQ(s.code(), "BUDGET_PREFLIGHT_EXCEEDED");
  EXPECT_TRUE(s.retryable());
  ASSERT_TRUE(s.retry_after_ms().has_value());
  EXPECT_EQ(*s.retry_after_ms(), kHourStart + kHourMs - kNow);
  EXPECT_NE(s.message().find("hourly USD limit of 'parse'"), std::string::npos) << s.message();
  // Exactly filling the window fits.
  EXPECT_TRUE(CheckBudgetPreflight(o, windows, {{"parse", 100'000'000, 1}}, "a", 0, kNow).ok());
}

TEST(CheckBudgetPreflightTest, SharedWindowsSumEveryServiceAndTheLatestEndWins) {
  LedgerOptions o;
  o.daily_usd = 1.0;
  o.embed.hourly_requests = 10;
  std::vector<WindowState> windows = {Window("embed", "requests", kHourMs, 10, 10),
                                      Window("total", "usd", kDayMs, kNanosPerUsd, 300'000'000)};
  // Each service alone fits what is left of the daily total; together they do not.
  EXPECT_TRUE(CheckBudgetPreflight(o, windows, {{"parse", 400'000'000, 1}}, "alice", 0, kNow).ok());
  std::vector<PreflightDemand> both = {{"parse", 400'000'000, 1}, {"embed", 400'000'000, 1}};
  Status s = CheckBudgetPreflight(o, windows, both, "alice", 0, kNow);
  EXPECT_EQ(s.code(), "BUDGET_PREFLIGHT_EXCEEDED");
  // Both the hourly request window and the daily total block: the day's end is when it fits.
  EXPECT_EQ(*s.retry_after_ms(), kDayStart + kDayMs - kNow);
  // The request window alone (no USD demand) blocks until the hour's end.
  s = CheckBudgetPreflight(o, windows, {{"embed", 0, 1}}, "alice", 0, kNow);
  EXPECT_EQ(*s.retry_after_ms(), kHourStart + kHourMs - kNow);
}

TEST(CheckBudgetPreflightTest, UserBudgetCountsOnlyThatUsersWindow) {
  LedgerOptions o;
  o.user_daily_usd = 0.1;
  std::vector<WindowState> windows = {Window("user:bob", "usd", kDayMs, 100'000'000, 100'000'000)};
  EXPECT_EQ(CheckBudgetPreflight(o, windows, {{"embed", 1, 1}}, "bob", 0, kNow).code(),
            "BUDGET_PREFLIGHT_EXCEEDED");
  EXPECT_TRUE(CheckBudgetPreflight(o, windows, {{"embed", 1, 1}}, "alice", 0, kNow).ok());
}

TEST(CheckBudgetPreflightTest, AJobLargerThanALimitCanNeverFit) {
  LedgerOptions o;
  o.embed.daily_usd = 0.01;
  Status s = CheckBudgetPreflight(o, {}, {{"embed", 20'000'000, 1}}, "alice", 0, kNow);
  EXPECT_EQ(s.kind(), Kind::kBudgetExceeded);
  EXPECT_EQ(s.code(), "BUDGET_PREFLIGHT_TOO_LARGE");
  EXPECT_FALSE(s.retryable());
  EXPECT_FALSE(s.retry_after_ms().has_value());
}

// The rule Ledger::Reserve applies (HeldBack): below priority_min the last 20% of each USD limit
// is out of reach, so a low-priority upload is refused where an urgent one still fits.
TEST(CheckBudgetPreflightTest, LowPriorityStopsAtThePriorityReserve) {
  LedgerOptions o;
  o.embed.daily_usd = 1.0;
  o.embed.hourly_requests = 10;  // a rate, not money: no reserve
  o.priority_reserve_pct = 20;
  o.priority_min = 50;
  std::vector<WindowState> windows = {Window("embed", "usd", kDayMs, kNanosPerUsd, 700'000'000),
                                      Window("embed", "requests", kHourMs, 10, 9)};
  const std::vector<PreflightDemand> job = {{"embed", 100'000'000, 1}};
  EXPECT_TRUE(CheckBudgetPreflight(o, windows, job, "alice", 49, kNow).ok());  // 800 of 800

  windows[0].spent = 700'000'001;
  Status low = CheckBudgetPreflight(o, windows, job, "alice", 49, kNow);
  EXPECT_EQ(low.code(), "BUDGET_PREFLIGHT_EXCEEDED");
  EXPECT_TRUE(low.retryable());
  EXPECT_EQ(low.retry_after_ms(), kDayStart + kDayMs - kNow);
  EXPECT_TRUE(CheckBudgetPreflight(o, windows, job, "alice", 50, kNow).ok());
  EXPECT_TRUE(
      CheckBudgetPreflight(o, windows, {{"embed", 299'999'999, 1}}, "alice", 100, kNow).ok());

  // Larger than what the reserve leaves: never at this priority; at priority_min it fits.
  Status never = CheckBudgetPreflight(o, {}, {{"embed", 900'000'000, 1}}, "alice", 0, kNow);
  EXPECT_EQ(never.code(), "BUDGET_PREFLIGHT_TOO_LARGE");
  EXPECT_FALSE(never.retryable());
  EXPECT_TRUE(CheckBudgetPreflight(o, {}, {{"embed", 900'000'000, 1}}, "alice", 50, kNow).ok());

  o.priority_reserve_pct = 0;  // as before the reserve existed
  EXPECT_TRUE(CheckBudgetPreflight(o, {}, {{"embed", 900'000'000, 1}}, "alice", 0, kNow).ok());
}

}  // namespace
}  // namespace ingestd
