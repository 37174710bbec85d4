#include "ledger/sqlite_ledger.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "ledger/windows.h"

namespace ingestd {
namespace {

constexpr int64_t kEstimate = 1'000'000;  // $0.001

class SqliteLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ledger_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "ingestd.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SqliteLedger> Open(const LedgerOptions& options) {
    auto ledger = SqliteLedger::Open(path_, &clock_, options,
                                     [this](const LedgerAlert& a) { alerts_.push_back(a); });
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    return std::move(ledger.value());
  }

  static ReserveRequest Request(int64_t estimate = kEstimate, std::string service = "embed") {
    ReserveRequest r;
    r.service = std::move(service);
    r.estimate_nanos = estimate;
    r.user_id = "u1";
    r.job_id = "job-1";
    r.correlation_id = "corr-1";
    return r;
  }

  static Usage Cost(int64_t nanos) {
    return Usage{nanos, 100, "tokens", "text-embedding-3-small", false};
  }

  // The current window of scope/metric, or a zero one when it does not exist.
  WindowState Window(Ledger& ledger, const std::string& scope, const std::string& metric,
                     int64_t len_ms) {
    auto windows = ledger.CurrentWindows();
    EXPECT_TRUE(windows.ok());
    for (const WindowState& w : *windows) {
      if (w.scope == scope && w.metric == metric && w.window_end_ms - w.window_start_ms == len_ms) {
        return w;
      }
    }
    return WindowState{};
  }

  std::filesystem::path dir_;
  std::string path_;
  FakeClock clock_{1'700'000'000'000};  // 2023-11-14T22:13:20Z
  std::vector<LedgerAlert> alerts_;
};

CostQuery Query(int64_t from, int64_t to, std::string group_by, std::string user = "") {
  return CostQuery{from, to, std::move(group_by), std::move(user)};
}

LedgerOptions EmbedDaily(double usd) {
  LedgerOptions o;
  o.embed.daily_usd = usd;
  return o;
}

TEST_F(SqliteLedgerTest, SettleAndReleaseArithmetic) {
  auto ledger = Open(EmbedDaily(1.0));
  auto a = ledger->Reserve(Request(300));
  auto b = ledger->Reserve(Request(500));
  ASSERT_TRUE(a.ok() && b.ok());
  WindowState w = Window(*ledger, "embed", "usd", kDayMs);
  EXPECT_EQ(w.reserved, 800);
  EXPECT_EQ(w.spent, 0);
  EXPECT_EQ(w.limit, kNanosPerUsd);

  ASSERT_TRUE(ledger->Settle(a->id, Cost(250)).ok());  // actual below the estimate
  ASSERT_TRUE(ledger->Release(b->id).ok());
  w = Window(*ledger, "embed", "usd", kDayMs);
  EXPECT_EQ(w.reserved, 0);
  EXPECT_EQ(w.spent, 250);

  EXPECT_EQ(ledger->Settle(a->id, Cost(1)).code(), "RESERVATION_NOT_FOUND");
  EXPECT_EQ(ledger->Release(b->id).code(), "RESERVATION_NOT_FOUND");
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 250);
}

TEST_F(SqliteLedgerTest, EveryApplicableLimitIsCharged) {
  LedgerOptions o;
  o.daily_usd = 10;
  o.embed = {1.0, 0.5, 100};
  o.user_daily_usd = 2;
  auto ledger = Open(o);
  auto r = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(ledger->Settle(r->id, Cost(400)).ok());
  EXPECT_EQ(Window(*ledger, "total", "usd", kDayMs).spent, 400);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 400);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kHourMs).spent, 400);
  EXPECT_EQ(Window(*ledger, "embed", "requests", kHourMs).spent, 1);
  EXPECT_EQ(Window(*ledger, "user:u1", "usd", kDayMs).spent, 400);
  // The parse service has no limits of its own but counts against the total.
  auto p = ledger->Reserve(Request(kEstimate, "parse"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Window(*ledger, "total", "usd", kDayMs).reserved, kEstimate);
  EXPECT_EQ(ledger->Reserve(Request(1, "ocr")).status().code(), "RESERVATION_INVALID");
}

TEST_F(SqliteLedgerTest, ConfiguredLimitsShowBeforeAnySpend) {
  LedgerOptions o;
  o.daily_usd = 3;
  o.parse.hourly_requests = 7;
  auto ledger = Open(o);
  auto windows = ledger->CurrentWindows();
  ASSERT_TRUE(windows.ok());
  ASSERT_EQ(windows->size(), 2u);  // the total once, not once per service
  EXPECT_EQ(Window(*ledger, "total", "usd", kDayMs).limit, 3 * kNanosPerUsd);
  EXPECT_EQ(Window(*ledger, "parse", "requests", kHourMs).limit, 7);
  EXPECT_EQ(Window(*ledger, "parse", "requests", kHourMs).spent, 0);
}

TEST_F(SqliteLedgerTest, NoLimitsMeansEveryReservationSucceeds) {
  auto ledger = Open(LedgerOptions{});
  for (int i = 0; i < 5; ++i) {
    auto r = ledger->Reserve(Request(kNanosPerUsd * 1000));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(ledger->Settle(r->id, Cost(kNanosPerUsd)).ok());
  }
  auto costs = ledger->Costs(Query(0, clock_.NowMillis() + 1, "service"));
  ASSERT_TRUE(costs.ok());
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_EQ(costs->rows[0].cost_nanos, 5 * kNanosPerUsd);
}

// Each thread has its own ledger (connection) on the same file, as workers in several
// processes would; they reserve until refused, holding every reservation.
TEST_F(SqliteLedgerTest, RacingThreadsNeverOvershoot) {
  const LedgerOptions options = EmbedDaily(0.01);  // room for exactly 10 reservations
  Open(options);                                   // migrate once up front
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto ledger = SqliteLedger::Open(path_, &clock_, options);
      ASSERT_TRUE(ledger.ok());
      for (int i = 0; i < 5; ++i) {
        auto r = (*ledger)->Reserve(Request(kEstimate));
        if (r.ok()) {
          ++successes;
        } else {
          EXPECT_EQ(r.status().code(), "BUDGET_EXCEEDED") << r.status().ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  auto ledger = Open(options);
  WindowState w = Window(*ledger, "embed", "usd", kDayMs);
  EXPECT_EQ(successes.load(), 10);
  EXPECT_EQ(w.reserved, 10 * kEstimate);
  EXPECT_LE(w.spent + w.reserved, w.limit);
}

// Separate processes, each with its own connection, reserving and settling.
TEST_F(SqliteLedgerTest, RacingProcessesNeverOvershoot) {
  const LedgerOptions options = EmbedDaily(0.012);  // 12 calls of kEstimate
  Open(options);
  std::vector<pid_t> children;
  for (int p = 0; p < 4; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto ledger = SqliteLedger::Open(path_, &clock_, options);
      if (!ledger.ok()) ::_exit(100);
      int ok = 0;
      for (int i = 0; i < 8; ++i) {
        auto r = (*ledger)->Reserve(Request(kEstimate));
        if (!r.ok()) {
          if (r.status().code() != "BUDGET_EXCEEDED") ::_exit(101);
          continue;
        }
        if (!(*ledger)->Settle(r->id, Cost(kEstimate)).ok()) ::_exit(102);
        ++ok;
      }
      ::_exit(ok);
    }
    children.push_back(pid);
  }
  int total = 0;
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_LT(WEXITSTATUS(status), 100) << "child failed with " << WEXITSTATUS(status);
    total += WEXITSTATUS(status);
  }
  auto ledger = Open(options);
  WindowState w = Window(*ledger, "embed", "usd", kDayMs);
  EXPECT_EQ(total, 12);
  EXPECT_EQ(w.spent, 12 * kEstimate);
  EXPECT_EQ(w.reserved, 0);
}

TEST_F(SqliteLedgerTest, RestartKeepsSpendAndOpenReservations) {
  std::string open_id;
  {
    auto ledger = Open(EmbedDaily(0.003));
    auto r = ledger->Reserve(Request(kEstimate));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(ledger->Settle(r->id, Cost(kEstimate)).ok());
    auto held = ledger->Reserve(Request(kEstimate));
    ASSERT_TRUE(held.ok());
    open_id = held->id;
  }
  auto ledger = Open(EmbedDaily(0.003));
  ASSERT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
  EXPECT_EQ(ledger->Reserve(Request(kEstimate)).status().code(), "BUDGET_EXCEEDED");
  ASSERT_TRUE(ledger->Settle(open_id, Cost(kEstimate)).ok());  // the old reservation is settled
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 2 * kEstimate);
}

TEST_F(SqliteLedgerTest, HourlyRequestWindowRollsOverAtTheHour) {
  LedgerOptions o;
  o.parse.hourly_requests = 2;
  auto ledger = Open(o);
  for (int i = 0; i < 2; ++i) {
    auto r = ledger->Reserve(Request(0, "parse"));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(ledger->Settle(r->id, Usage{0, 1, "pages", "", true}).ok());
  }
  auto refused = ledger->Reserve(Request(0, "parse"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().kind(), Kind::kBudgetExceeded);
  EXPECT_TRUE(refused.status().retryable());
  const int64_t next_hour = WindowStart(clock_.NowMillis(), kHourMs) + kHourMs;
  EXPECT_EQ(refused.status().retry_after_ms(), next_hour - clock_.NowMillis());

  clock_.Set(next_hour - 1);
  EXPECT_FALSE(ledger->Reserve(Request(0, "parse")).ok());
  clock_.Set(next_hour);
  EXPECT_TRUE(ledger->Reserve(Request(0, "parse")).ok());
}

TEST_F(SqliteLedgerTest, DailyLimitWaitsForUtcMidnight) {
  LedgerOptions o;
  o.daily_usd = 0.001;
  o.embed.hourly_usd = 0.001;
  auto ledger = Open(o);
  auto r = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(ledger->Settle(r->id, Cost(kEstimate)).ok());
  auto refused = ledger->Reserve(Request(kEstimate));
  const int64_t midnight = WindowStart(clock_.NowMillis(), kDayMs) + kDayMs;
  // Both the hour and the day are full: the day decides.
  EXPECT_EQ(refused.status().retry_after_ms(), midnight - clock_.NowMillis());
  clock_.Set(midnight);
  EXPECT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
}

TEST_F(SqliteLedgerTest, OpenReservationsBlockOnlyBriefly) {
  LedgerOptions o = EmbedDaily(0.001);
  o.reserved_retry_ms = 3'000;
  auto ledger = Open(o);
  ASSERT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
  auto refused = ledger->Reserve(Request(kEstimate));
  EXPECT_EQ(refused.status().code(), "BUDGET_EXCEEDED");
  EXPECT_EQ(refused.status().retry_after_ms(), 3'000);
}

TEST_F(SqliteLedgerTest, EstimateLargerThanTheLimitIsNotRetryable) {
  auto ledger = Open(EmbedDaily(0.001));
  auto refused = ledger->Reserve(Request(kEstimate + 1));
  EXPECT_EQ(refused.status().code(), "BUDGET_ESTIMATE_TOO_LARGE");
  EXPECT_FALSE(refused.status().retryable());
}

TEST_F(SqliteLedgerTest, StaleReservationsAreReleasedAfterTheTimeout) {
  LedgerOptions o = EmbedDaily(0.001);
  o.reservation_timeout_ms = 60'000;
  auto ledger = Open(o);
  auto r = ledger->Reserve(Request(kEstimate));  // its process "dies" before settling
  ASSERT_TRUE(r.ok());
  clock_.Advance(59'999);
  EXPECT_EQ(*ledger->ReleaseStale(), 0);
  clock_.Advance(1);
  EXPECT_EQ(*ledger->ReleaseStale(), 1);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).reserved, 0);
  EXPECT_EQ(ledger->Settle(r->id, Cost(1)).code(), "RESERVATION_NOT_FOUND");
  EXPECT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
}

TEST_F(SqliteLedgerTest, AlertsAtThresholdsFireOnce) {
  auto ledger = Open(EmbedDaily(0.001));  // 1,000,000 nanos
  auto settle = [&](int64_t cost) {
    auto r = ledger->Reserve(Request(cost));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(ledger->Settle(r->id, Cost(cost)).ok());
  };
  settle(790'000);
  EXPECT_TRUE(alerts_.empty());
  settle(10'000);  // 80%
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_EQ(alerts_[0].kind, "pct80");
  EXPECT_EQ(alerts_[0].scope, "embed");
  settle(100);  // still above 80%: no second alert
  EXPECT_EQ(alerts_.size(), 1u);
  settle(199'900);  // 95% and 100% at once
  ASSERT_EQ(alerts_.size(), 3u);
  EXPECT_EQ(alerts_[1].kind, "pct95");
  EXPECT_EQ(alerts_[2].kind, "exhausted");
  auto stored = ledger->RecentAlerts(0);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), 3u);
}

TEST_F(SqliteLedgerTest, PaidCallSettledAtZeroRaisesAnAlert) {
  auto ledger = Open(LedgerOptions{});
  auto r = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(ledger->Settle(r->id, Cost(0)).ok());
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_EQ(alerts_[0].kind, "zero_cost");
  EXPECT_EQ(alerts_[0].job_id, "job-1");
  auto cached = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(ledger->Settle(cached->id, Usage{0, 3, "pages", "", /*cache_hit=*/true}).ok());
  EXPECT_EQ(alerts_.size(), 1u);
}

TEST_F(SqliteLedgerTest, CostsGroupByServiceUserAndHour) {
  auto ledger = Open(LedgerOptions{});
  auto spend = [&](const std::string& service, const std::string& user, int64_t cost) {
    ReserveRequest req = Request(cost, service);
    req.user_id = user;
    auto r = ledger->Reserve(req);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(ledger->Settle(r->id, Cost(cost)).ok());
  };
  const int64_t start = clock_.NowMillis();
  spend("embed", "u1", 10);
  spend("parse", "u2", 1000);
  clock_.Advance(kHourMs);
  spend("embed", "u2", 5);
  ASSERT_TRUE(ledger->Reserve(Request(7)).ok());  // open

  auto by_service = ledger->Costs(Query(start, clock_.NowMillis() + 1, "service"));
  ASSERT_TRUE(by_service.ok());
  ASSERT_EQ(by_service->rows.size(), 2u);
  EXPECT_EQ(by_service->rows[0].group, "embed");
  EXPECT_EQ(by_service->rows[0].cost_nanos, 15);
  EXPECT_EQ(by_service->rows[0].calls, 2);
  EXPECT_EQ(by_service->rows[1].cost_nanos, 1000);
  EXPECT_EQ(by_service->open_reservations, 1);
  EXPECT_EQ(by_service->open_reserved_nanos, 7);

  auto by_user = ledger->Costs(Query(start, clock_.NowMillis() + 1, "user"));
  ASSERT_EQ(by_user->rows.size(), 2u);
  EXPECT_EQ(by_user->rows[1].group, "u2");
  EXPECT_EQ(by_user->rows[1].cost_nanos, 1005);

  auto by_hour = ledger->Costs(Query(start, clock_.NowMillis() + 1, "hour"));
  ASSERT_EQ(by_hour->rows.size(), 2u);
  EXPECT_EQ(by_hour->rows[0].group, FormatRfc3339(WindowStart(start, kHourMs)));
  EXPECT_EQ(by_hour->rows[0].cost_nanos, 1010);

  auto u1 = ledger->Costs(Query(start, clock_.NowMillis() + 1, "service", "u1"));
  ASSERT_EQ(u1->rows.size(), 1u);
  EXPECT_EQ(u1->rows[0].cost_nanos, 10);

  auto later_only = ledger->Costs(Query(start + kHourMs, clock_.NowMillis() + 1, "service"));
  ASSERT_EQ(later_only->rows.size(), 1u);
  EXPECT_EQ(ledger->Costs(Query(0, 1, "week")).status().code(), "GROUP_BY_INVALID");
}

TEST(PriceTableTest, DefaultPricesAreExactNanos) {
  PriceTable p;
  EXPECT_EQ(p.EmbedCost("text-embedding-3-small", 1'000'000), UsdToNanos(0.02));
  EXPECT_EQ(p.EmbedCost("text-embedding-3-large", 1'000'000), UsdToNanos(0.13));
  EXPECT_EQ(p.EmbedCost("mock-embedding", 1'000'000), 0);
  EXPECT_EQ(p.EmbedCost("text-embedding-3-small@512", 1'000'000), UsdToNanos(0.02));
  EXPECT_EQ(p.ParseCost(1000), UsdToNanos(1.25));
  EXPECT_EQ(p.ParseCost(1000, /*cache_hit=*/true), 0);
  p.parse_credits_per_page = 3;
  EXPECT_EQ(p.ParseCost(1000), UsdToNanos(3.75));
}

}  // namespace
}  // namespace ingestd
