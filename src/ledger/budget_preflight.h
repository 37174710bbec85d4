// Upload pre-flight against the budgets (DESIGN.md §6 "At upload: estimate the whole job and
// refuse with 429 if it cannot fit"). Pure functions over the ledger's options and its
// current windows (Ledger::CurrentWindows()), so any ledger backend serves and tests need
// no database. A pre-flight is advice, not a reservation: two uploads checked at once may
// both pass; each paid call still reserves atomically before it goes out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "ledger/ledger.h"

namespace ingestd {

// Until a document is parsed its size is all that is known. These turn bytes into pages and
// pages into tokens; deliberately round figures (a text-heavy page is ~500-700 tokens).
inline constexpr int64_t kEstimatedBytesPerPage = 50 * 1024;
inline constexpr int64_t kEstimatedTokensPerPage = 600;

// What a whole job is expected to cost, per service, in nano-dollars.
struct JobCostEstimate {
  int64_t pages = 0;
  int64_t tokens = 0;
  bool pages_counted = false;  // pages came from the PDF, not from its size
  int64_t parse_nanos = 0;
  int64_t embed_nanos = 0;
  int64_t total_nanos() const { return parse_nanos + embed_nanos; }
};

struct JobCostInput {
  int64_t size_bytes = 0;
  int64_t pages = -1;       // counted from the PDF; -1 when unknown (then estimated from size)
  bool parse_paid = false;  // the parse service runs real or hybrid
  bool embed_paid = false;
  std::string embed_model;  // priced by PriceTable::EmbedCost
};

// Pages (counted, else at least 1 per kEstimatedBytesPerPage), tokens from pages, and the
// price of each paid service; an unpaid service costs 0.
JobCostEstimate EstimateJobCost(const PriceTable& prices, const JobCostInput& in);

// One service's share of the job: its cost and how many requests it takes from an hourly
// request limit.
struct PreflightDemand {
  std::string service;  // "parse" | "embed"
  int64_t estimate_nanos = 0;
  int64_t requests = 1;
};

// OK when every window the demands count against (service daily/hourly USD and hourly
// requests, the daily total, the user's daily budget) has room for them on top of its spent
// and reserved amounts, below its limit less the priority reserve when processing_priority
// is below options.priority_min (HeldBack: the rule Ledger::Reserve applies). Otherwise
// kBudgetExceeded:
//   "BUDGET_PREFLIGHT_EXCEEDED", retryable, retry_after_ms = until the last blocking window
//     ends (every one must roll over before the job fits);
//   "BUDGET_PREFLIGHT_TOO_LARGE", not retryable: the job alone exceeds a limit (or what
//     the priority reserve leaves of one).
// A window absent from `windows` has nothing spent or reserved yet.
Status CheckBudgetPreflight(const LedgerOptions& options, const std::vector<WindowState>& windows,
                            const std::vector<PreflightDemand>& demands, const std::string& user_id,
                            int processing_priority, int64_t now_ms);

}  // namespace ingestd
