// The limit windows one reservation counts against, on UTC calendar hours and days.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace ingestd {

inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int64_t kDayMs = 86'400'000;

// Unix time has no leap seconds, so UTC hours and days are plain multiples.
inline int64_t WindowStart(int64_t now_ms, int64_t len_ms) { return now_ms - now_ms % len_ms; }

struct WindowSpec {
  std::string key;    // unique per scope, metric and window, e.g. "embed|usd|3600000|1700000000000"
  std::string scope;  // "total" | "parse" | "embed" | "user:<id>"
  std::string metric;  // "usd" | "requests"
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t limit = 0;  // nanos for "usd", a count for "requests"
};

// Only limited windows are listed: an unset limit costs nothing to enforce.
std::vector<WindowSpec> WindowsFor(const LedgerOptions& options, const ReserveRequest& request,
                                   int64_t now_ms);

// How much a reservation of estimate_nanos takes from a window of this metric.
inline int64_t AmountFor(const std::string& metric, int64_t estimate_nanos) {
  return metric == "requests" ? 1 : estimate_nanos;
}

}  // namespace ingestd
