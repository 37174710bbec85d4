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

TEST(PriceTableTest, DefaultPricesAreThePublishedOnesInExactNanos) {
  PriceTable p;
  EXPECT_EQ(p.EmbedCost("text-embedding-3-small", 1'000'000), UsdToNanos(0.02));
  EXPECT_EQ(p.EmbedCost("text-embedding-3-large", 1'000'000), UsdToNanos(0.13));
  EXPECT_EQ(p.EmbedCost("text-embedding-ada-002", 1'000'000), UsdToNanos(0.10));
  EXPECT_EQ(p.EmbedCost("text-embedding-3-small", 1), 20);
  EXPECT_EQ(p.EmbedCost("text-embedding-3-small@512", 1'000'000), UsdToNanos(0.02));
  EXPECT_EQ(p.EmbedCost("mock-embedding", 1'000'000), 0);
  EXPECT_FALSE(p.HasEmbedPrice("mock-embedding"));
  EXPECT_TRUE(p.HasEmbedPrice("text-embedding-ada-002"));
  // LlamaParse: credits a page per tier at $1.25 / 1000 credits; cache hits are free.
  const std::pair<const char*, double> tiers[] = {
      {"fast", 1.25}, {"cost_effective", 3.75}, {"agentic", 12.5}, {"agentic_plus", 56.25}};
  for (const auto& [tier, usd_per_1000_pages] : tiers) {
    p.parse_tier = tier;
    EXPECT_EQ(p.ParseCost(1000), UsdToNanos(usd_per_1000_pages)) << tier;
    EXPECT_EQ(p.ParseCost(1000, /*cache_hit=*/true), 0) << tier;
  }
  p.parse_tier = "premium";
  EXPECT_FALSE(p.HasParsePrice("premium"));
  EXPECT_EQ(p.ParseNanosPerPage(), 0);
}

// An operator's price for a model the table does not know is charged exactly (rounded up).
TEST(PriceTableTest, OddPricesRoundUpToAWholeNano) {
  PriceTable p;
  p.embed_nanos_per_mtok["my-model"] = 1;  // $0.000000001 per 1M tokens
  EXPECT_EQ(p.EmbedCost("my-model", 1), 1);
  EXPECT_EQ(p.EmbedCost("my-model", 0), 0);
  p.parse_credits_per_page["custom"] = 1.5;
  p.parse_tier = "custom";
  EXPECT_EQ(p.ParseCost(2), 2 * 1'875'000);
}

}  // namespace
}  // namespace ingestd
