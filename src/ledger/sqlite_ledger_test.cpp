// Runs the Ledger conformance suite against SQLite (a fresh file per test), plus the price
// table, which no backend owns.
#include "ledger/sqlite_ledger.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "ledger/ledger_conformance.h"

namespace ingestd {
namespace {

LedgerBackend SqliteBackend() {
  return LedgerBackend{"sqlite",
                       [] {
                         static std::atomic<int> counter{0};
                         const auto dir = std::filesystem::temp_directory_path() /
                                          ("ledger_test_" + std::to_string(::getpid()) + "_" +
                                           std::to_string(counter++));
                         std::filesystem::remove_all(dir);
                         std::filesystem::create_directories(dir);
                         return (dir / "ingestd.db").string();
                       },
                       [](const std::string& path) {
                         std::filesystem::remove_all(std::filesystem::path(path).parent_path());
                       },
                       [](const std::string& path, Clock* clock, const LedgerOptions& options,
                          AlertSink sink) -> Result<std::unique_ptr<Ledger>> {
                         auto ledger = SqliteLedger::Open(path, clock, options, std::move(sink));
                         if (!ledger.ok()) return ledger.status();
                         return std::unique_ptr<Ledger>(std::move(*ledger));
                       }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, LedgerConformanceTest, ::testing::Values(SqliteBackend()),
                         LedgerBackendName);

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
