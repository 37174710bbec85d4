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
  // How much of limit the priority reserve keeps from this request (HeldBack).
  int64_t held_back = 0;
};

// The part of a window's limit that the request may not use: the priority reserve
// (LedgerOptions::priority_reserve_pct, rounded down) of a USD limit when the request's
// processing_priority is below priority_min, else 0. The one place the reserve is computed:
// WindowsFor fills WindowSpec::held_back with it, and the backends' reservation statements
// admit a request only while spent + reserved + amount <= limit - held_back.
int64_t HeldBack(const LedgerOptions& options, const ReserveRequest& request,
                 const std::string& metric, int64_t limit);

// Only limited windows are listed: an unset limit costs nothing to enforce.
std::vector<WindowSpec> WindowsFor(const LedgerOptions& options, const ReserveRequest& request,
                                   int64_t now_ms);

// {"<key>": held_back, …} of windows: how the backends' reservation statements get HeldBack.
std::string HeldBackJson(const std::vector<WindowSpec>& windows);

// How much a reservation of estimate_nanos takes from a window of this metric.
inline int64_t AmountFor(const std::string& metric, int64_t estimate_nanos) {
  return metric == "requests" ? 1 : estimate_nanos;
}

}  // namespace ingestd
