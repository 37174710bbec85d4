// Runs the Ledger conformance suite against PostgreSQL (a fresh database per test on the
// pg_cluster fixture's cluster), plus what is specific to this backend: migrations from
// many processes at once and the tables it owns.
#include "ledger/pg_ledger.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "db/pg_conn.h"
#include "db/pg_test_support.h"
#include "ledger/ledger_conformance.h"

namespace ingestd {
namespace {

LedgerBackend PostgresBackend() {
  return LedgerBackend{"postgres", [] { return pg::CreateTestDatabase(); },
                       [](const std::string& url) { pg::DropTestDatabase(url); },
                       [](const std::string& url, Clock* clock, const LedgerOptions& options,
                          AlertSink sink) -> Result<std::unique_ptr<Ledger>> {
                         auto ledger = PgLedger::Open(url, clock, options, std::move(sink));
                         if (!ledger.ok()) return ledger.status();
                         return std::unique_ptr<Ledger>(std::move(*ledger));
                       }};
}

INSTANTIATE_TEST_SUITE_P(Postgres, LedgerConformanceTest, ::testing::Values(PostgresBackend()),
                         LedgerBackendName);

class PgLedgerTest : public ::testing::Test {
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
  FakeClock clock_;
};

// Processes starting at once all open the ledger; the advisory lock applies each migration
// once and nobody fails on a half-created table.
TEST_F(PgLedgerTest, ConcurrentOpensFromManyProcessesMigrateOnce) {
  std::vector<pid_t> children;
  for (int p = 0; p < 6; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto ledger = PgLedger::Open(url_, &clock_, LedgerOptions{});
      ::_exit(ledger.ok() ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_migrations"), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM information_schema.tables "
                   "WHERE table_name LIKE 'ledger\\_%'"),
            6);
}

TEST_F(PgLedgerTest, UnreachableDatabaseFailsToOpen) {
  auto ledger =
      PgLedger::Open(pg::WithDatabase(url_, "no_such_database_here"), &clock_, LedgerOptions{});
  ASSERT_FALSE(ledger.ok());
  EXPECT_EQ(ledger.status().code(), "DB_UNAVAILABLE");
}

// The reservation is decided by one statement under row locks: a reservation that fits
// leaves exactly its holds behind, one per window, and nothing when refused.
TEST_F(PgLedgerTest, HoldsMatchTheWindowsOfAReservation) {
  LedgerOptions o;
  o.daily_usd = 1;
  o.embed = {1.0, 1.0, 10};
  auto ledger = PgLedger::Open(url_, &clock_, o);
  ASSERT_TRUE(ledger.ok());
  auto r = (*ledger)->Reserve({"embed", 1000, "u", "j", "c"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_holds"), 4);
  EXPECT_EQ(Scalar("SELECT sum(amount) FROM ledger_holds"), 3 * 1000 + 1);
  EXPECT_FALSE((*ledger)->Reserve({"embed", 2 * kNanosPerUsd, "u", "j", "c"}).ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_reservations"), 1);
  ASSERT_TRUE((*ledger)->Release(r->id).ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger_holds"), 0);
  EXPECT_EQ(Scalar("SELECT sum(reserved) FROM ledger_windows"), 0);
}

}  // namespace
}  // namespace ingestd
