// Issue #7: budget reservations racing across processes never overspend. Four OS processes,
// each with one PgLedger shared by four threads (as serve and worker processes have), start
// at the same instant and reserve against small limits on one PostgreSQL database: a daily
// total that binds overall and a per-user daily budget that binds each user. Exactly the
// affordable number of reservations succeeds, no window ever holds more than its limit, and
// the holds left behind match the windows' reserved amounts.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "db/pg_conn.h"
#include "db/pg_test_support.h"
#include "ledger/pg_ledger.h"
#include "ledger/windows.h"

namespace ingestd {
namespace {

constexpr int kProcesses = 4;
constexpr int kThreads = 4;
constexpr int kAttempts = 10;             // per thread
constexpr int64_t kEstimate = 1'000'000;  // $0.001
constexpr int kTotalRoom = 20;            // daily total: $0.020
constexpr int kUserRoom = 6;              // each user's daily budget: $0.006
// Exit codes above this mean the child failed (successes are at most kThreads * kAttempts).
constexpr int kChildFailed = 100;

LedgerOptions Limits() {
  LedgerOptions o;
  o.daily_usd = kTotalRoom * 0.001;
  o.user_daily_usd = kUserRoom * 0.001;
  o.embed.hourly_requests = 1'000;  // a third window on every call, never binding
  return o;
}

// One child process: waits for the start signal, then kThreads threads reserve; threads of
// even index settle each reservation at its estimate, odd ones keep theirs open. Exits
// with the number of successes, or kChildFailed + n on an unexpected error.
[[noreturn]] void RunChild(const std::string& url, int start_fd) {
  FakeClock clock;
  auto ledger = PgLedger::Open(url, &clock, Limits());
  if (!ledger.ok()) ::_exit(kChildFailed + 1);
  char go = 0;
  if (::read(start_fd, &go, 1) < 0) ::_exit(kChildFailed + 2);
  std::atomic<int> successes{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ReserveRequest req{"embed", kEstimate, "user" + std::to_string(t), "job", "corr"};
      for (int i = 0; i < kAttempts; ++i) {
        auto r = (*ledger)->Reserve(req);
        if (!r.ok()) {
          if (r.status().code() != "BUDGET_EXCEEDED") ++failures;
          continue;
        }
        ++successes;
        if (t % 2 == 0 && !(*ledger)->Settle(r->id, {kEstimate, 10, "tokens", "m", false}).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ::_exit(failures > 0 ? kChildFailed + 3 : successes.load());
}

class PgBudgetRaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = pg::CreateTestDatabase();
    ASSERT_FALSE(url_.empty());
  }
  void TearDown() override {
    if (!url_.empty()) pg::DropTestDatabase(url_);
  }
  int64_t Scalar(const char* sql) { return pg::QueryScalar(url_, sql); }

  std::string url_;
};

TEST_F(PgBudgetRaceTest, ProcessesRacingForOneBudgetNeverOverspend) {
  FakeClock clock;
  ASSERT_TRUE(PgLedger::Open(url_, &clock, Limits()).ok());  // migrated before the race
  int start[2];
  ASSERT_EQ(::pipe(start), 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(start[1]);
      RunChild(url_, start[0]);
    }
    children.push_back(pid);
  }
  ::close(start[0]);
  ::close(start[1]);  // end of file: every child starts now
  int successes = 0;
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_LT(WEXITSTATUS(status), kChildFailed) << "child failed: " << WEXITSTATUS(status);
    successes += WEXITSTATUS(status);
  }
  // The users could take 4 x 6 = 24 reservations; the total allows 20 of them.
  EXPECT_EQ(successes, kTotalRoom);

  auto ledger = PgLedger::Open(url_, &clock, Limits());
  ASSERT_TRUE(ledger.ok());
  auto windows = (*ledger)->CurrentWindows();
  ASSERT_TRUE(windows.ok());
  int64_t user_taken = 0;
  for (const WindowState& w : *windows) {
    EXPECT_LE(w.spent + w.reserved, w.limit) << w.scope << " " << w.metric;
    if (w.scope == "total") {
      EXPECT_EQ(w.spent + w.reserved, kTotalRoom * kEstimate);
    }
    if (w.metric == "requests") {
      EXPECT_EQ(w.spent + w.reserved, kTotalRoom);
    }
    if (w.scope.starts_with("user:")) user_taken += w.spent + w.reserved;
  }
  EXPECT_EQ(user_taken, kTotalRoom * kEstimate);
  // Open reservations are exactly the windows' reserved amounts, hold by hold.
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_windows w WHERE w.reserved <> "
                   "(SELECT coalesce(sum(amount), 0) FROM ledger_holds h "
                   " WHERE h.window_key = w.window_key)"),
            0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_reservations") +
                Scalar("SELECT count(*) FROM ledger_spend"),
            kTotalRoom);
}

}  // namespace
}  // namespace ingestd
