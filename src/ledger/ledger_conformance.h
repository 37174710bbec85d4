// The Ledger conformance suite: the contract of ledger.h as value-parameterized tests that
// every backend runs (windows, holds, settle/release, stale sweep, alerts, reports, and
// concurrent threads and processes never overshooting). A backend's test instantiates it:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, LedgerConformanceTest,
//                            ::testing::Values(SqliteLedgerBackend()), LedgerBackendName);
//
// and links the ingestd_ledger_conformance object library (CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "ledger/ledger.h"

namespace ingestd {

struct LedgerBackend {
  std::string name;
  // Where one test's ledger lives (a SQLite file path, a PostgreSQL URL), newly created and
  // empty; "" when it cannot be made (the test fails).
  std::function<std::string()> new_database;
  // Removes what new_database made.
  std::function<void(const std::string& location)> drop_database;
  // Opens (and migrates) a ledger at location; called again for restarts, other "workers"
  // and in forked child processes.
  std::function<Result<std::unique_ptr<Ledger>>(const std::string& location, Clock* clock,
                                                const LedgerOptions& options, AlertSink sink)>
      open;
};

std::string LedgerBackendName(const ::testing::TestParamInfo<LedgerBackend>& info);
// Test names and failure messages show the backend's name, not its bytes.
inline void PrintTo(const LedgerBackend& backend, std::ostream* os) { *os << backend.name; }

class LedgerConformanceTest : public ::testing::TestWithParam<LedgerBackend> {
 protected:
  static constexpr int64_t kEstimate = 1'000'000;  // $0.001

  void SetUp() override;
  void TearDown() override;

  // A ledger on this test's database whose alerts land in alerts_ (fails the test on error).
  std::unique_ptr<Ledger> Open(const LedgerOptions& options);
  // Another ledger on the same database without an alert sink (a thread or process of its
  // own); nullptr on error.
  std::unique_ptr<Ledger> OpenQuiet(const LedgerOptions& options);

  static ReserveRequest Request(int64_t estimate = kEstimate, std::string service = "embed");
  static Usage Cost(int64_t nanos);
  static LedgerOptions EmbedDaily(double usd);
  static CostQuery Query(int64_t from, int64_t to, std::string group_by, std::string user = "");
  // The current window of scope/metric and length, or a zero one when it does not exist.
  static WindowState Window(Ledger& ledger, const std::string& scope, const std::string& metric,
                            int64_t len_ms);

  std::string location_;
  FakeClock clock_{1'700'000'000'000};  // 2023-11-14T22:13:20Z
  std::vector<LedgerAlert> alerts_;
};

}  // namespace ingestd
