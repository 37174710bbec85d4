// Ledger conformance: concurrent threads and processes (each with a ledger of its own, as
// workers would have) never overshoot a limit, and a reopened ledger keeps its books.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "ledger/ledger_conformance.h"
#include "ledger/windows.h"

namespace ingestd {

// 8 threads reserve until refused, holding every reservation: exactly the affordable number
// succeeds and spent + reserved never passes the limit.
TEST_P(LedgerConformanceTest, RacingThreadsNeverOvershoot) {
  const LedgerOptions options = EmbedDaily(0.01);  // room for exactly 10 reservations
  ASSERT_NE(Open(options), nullptr);               // migrate once up front
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto ledger = OpenQuiet(options);
      ASSERT_NE(ledger, nullptr);
      for (int i = 0; i < 5; ++i) {
        auto r = ledger->Reserve(Request(kEstimate));
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

// Separate processes, each with its own ledger, reserving and settling.
TEST_P(LedgerConformanceTest, RacingProcessesNeverOvershoot) {
  const LedgerOptions options = EmbedDaily(0.012);  // 12 calls of kEstimate
  ASSERT_NE(Open(options), nullptr);
  std::vector<pid_t> children;
  for (int p = 0; p < 4; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto ledger = OpenQuiet(options);
      if (ledger == nullptr) ::_exit(100);
      int ok = 0;
      for (int i = 0; i < 8; ++i) {
        auto r = ledger->Reserve(Request(kEstimate));
        if (!r.ok()) {
          if (r.status().code() != "BUDGET_EXCEEDED") ::_exit(101);
          continue;
        }
        if (!ledger->Settle(r->id, Cost(kEstimate)).ok()) ::_exit(102);
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

// Threads of different users share the total and service windows but not their user
// windows: overlapping window sets, locked in one order, so nobody deadlocks or fails.
TEST_P(LedgerConformanceTest, OverlappingWindowsUnderContention) {
  LedgerOptions options;
  options.daily_usd = 100;
  options.embed = {50.0, 50.0, 1'000'000};
  options.parse.hourly_usd = 50;
  options.user_daily_usd = 10;
  ASSERT_NE(Open(options), nullptr);
  constexpr int kThreads = 6, kCalls = 15;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto ledger = OpenQuiet(options);
      ASSERT_NE(ledger, nullptr);
      for (int i = 0; i < kCalls; ++i) {
        ReserveRequest req = Request(kEstimate, (t + i) % 2 == 0 ? "embed" : "parse");
        req.user_id = "user" + std::to_string(t % 3);
        auto r = ledger->Reserve(req);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        Status s = i % 3 == 0 ? ledger->Release(r->id) : ledger->Settle(r->id, Cost(1000));
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  auto ledger = Open(options);
  const int settled = kThreads * (kCalls - (kCalls + 2) / 3);
  WindowState total = Window(*ledger, "total", "usd", kDayMs);
  EXPECT_EQ(total.spent, settled * 1000);
  EXPECT_EQ(total.reserved, 0);
  int64_t users = 0;
  for (int u = 0; u < 3; ++u) {
    users += Window(*ledger, "user:user" + std::to_string(u), "usd", kDayMs).spent;
  }
  EXPECT_EQ(users, settled * 1000);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent +
                Window(*ledger, "parse", "usd", kHourMs).spent,
            settled * 1000);
}

// Two threads settle the same reservation: one wins, the other finds it gone, and the
// spend counts once.
TEST_P(LedgerConformanceTest, ConcurrentSettlesOfOneReservationCountOnce) {
  const LedgerOptions options = EmbedDaily(1.0);
  auto ledger = Open(options);
  ASSERT_NE(ledger, nullptr);
  for (int round = 0; round < 5; ++round) {
    auto r = ledger->Reserve(Request(kEstimate));
    ASSERT_TRUE(r.ok());
    std::atomic<int> ok{0}, not_found{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        auto mine = OpenQuiet(options);
        ASSERT_NE(mine, nullptr);
        Status s = t == 0 ? mine->Settle(r->id, Cost(kEstimate)) : mine->Release(r->id);
        if (s.ok()) ++ok;
        if (s.code() == "RESERVATION_NOT_FOUND") ++not_found;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(not_found.load(), 1);
  }
  WindowState w = Window(*ledger, "embed", "usd", kDayMs);
  EXPECT_EQ(w.reserved, 0);
  EXPECT_EQ(w.spent % kEstimate, 0);
  auto costs = ledger->Costs(Query(0, clock_.NowMillis() + 1, "service"));
  ASSERT_TRUE(costs.ok());
  const int64_t settled_calls = costs->rows.empty() ? 0 : costs->rows[0].calls;
  EXPECT_EQ(w.spent, settled_calls * kEstimate);
}

TEST_P(LedgerConformanceTest, RestartKeepsSpendAndOpenReservations) {
  std::string open_id;
  {
    auto ledger = Open(EmbedDaily(0.003));
    ASSERT_NE(ledger, nullptr);
    auto r = ledger->Reserve(Request(kEstimate));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(ledger->Settle(r->id, Cost(kEstimate)).ok());
    auto held = ledger->Reserve(Request(kEstimate));
    ASSERT_TRUE(held.ok());
    open_id = held->id;
  }
  auto ledger = Open(EmbedDaily(0.003));
  ASSERT_NE(ledger, nullptr);
  ASSERT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
  EXPECT_EQ(ledger->Reserve(Request(kEstimate)).status().code(), "BUDGET_EXCEEDED");
  ASSERT_TRUE(ledger->Settle(open_id, Cost(kEstimate)).ok());  // the old reservation is settled
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 2 * kEstimate);
}

// A restarted process with a new limit: the current window follows the latest writer.
TEST_P(LedgerConformanceTest, ReopenWithNewLimitAppliesIt) {
  {
    auto ledger = Open(EmbedDaily(0.002));
    ASSERT_NE(ledger, nullptr);
    ASSERT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
    ASSERT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
    EXPECT_FALSE(ledger->Reserve(Request(kEstimate)).ok());
  }
  auto ledger = Open(EmbedDaily(0.003));
  ASSERT_NE(ledger, nullptr);
  EXPECT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).limit, 3 * kEstimate);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).reserved, 3 * kEstimate);
}

}  // namespace ingestd
