#include "ledger/budget_preflight.h"

#include <algorithm>
#include <map>

#include "ledger/windows.h"

namespace ingestd {
namespace {

// One limited window with everything the job would take from it.
struct Demand {
  WindowSpec window;
  int64_t amount = 0;
};

const WindowState* FindWindow(const std::vector<WindowState>& windows, const WindowSpec& w) {
  for (const WindowState& s : windows) {
    if (s.scope == w.scope && s.metric == w.metric && s.window_start_ms == w.start_ms &&
        s.window_end_ms == w.end_ms) {
      return &s;
    }
  }
  return nullptr;
}

std::string Describe(const WindowSpec& w) {
  const char* len = w.end_ms - w.start_ms == kHourMs ? "hourly" : "daily";
  return std::string(len) + " " + (w.metric == "requests" ? "request" : "USD") + " limit of '" +
         w.scope + "'";
}

}  // namespace

JobCostEstimate EstimateJobCost(const PriceTable& prices, const JobCostInput& in) {
  JobCostEstimate e;
  e.pages_counted = in.pages > 0;
  e.pages = e.pages_counted ? in.pages
                            : std::max<int64_t>(1, (in.size_bytes + kEstimatedBytesPerPage - 1) /
                                                       kEstimatedBytesPerPage);
  e.tokens = e.pages * kEstimatedTokensPerPage;
  if (in.parse_paid) e.parse_nanos = prices.ParseCost(e.pages);
  if (in.embed_paid) e.embed_nanos = prices.EmbedCost(in.embed_model, e.tokens);
  return e;
}

Status CheckBudgetPreflight(const LedgerOptions& options, const std::vector<WindowState>& windows,
                            const std::vector<PreflightDemand>& demands, const std::string& user_id,
                            int processing_priority, int64_t now_ms) {
  // Shared windows (the daily total, the user's budget) sum the demands of every service.
  std::map<std::string, Demand> by_key;
  for (const PreflightDemand& d : demands) {
    ReserveRequest like{d.service, 0, user_id, "", ""};
    like.processing_priority = processing_priority;
    for (const WindowSpec& w : WindowsFor(options, like, now_ms)) {
      Demand& slot = by_key[w.key];
      slot.window = w;
      slot.amount += w.metric == "requests" ? d.requests : d.estimate_nanos;
    }
  }
  int64_t retry_at_ms = 0;
  std::string blocking;
  for (const auto& [key, d] : by_key) {
    if (d.amount <= 0) continue;
    const int64_t admit = d.window.limit - d.window.held_back;
    if (d.amount > admit) {
      return Status::Error(
          Kind::kBudgetExceeded, "BUDGET_PREFLIGHT_TOO_LARGE",
          "the job's estimated cost alone exceeds " +
              std::string(d.amount <= d.window.limit ? "what the priority reserve leaves of "
                                                     : "") +
              "the " + Describe(d.window));
    }
    const WindowState* state = FindWindow(windows, d.window);
    const int64_t used = state == nullptr ? 0 : state->spent + state->reserved;
    if (used + d.amount > admit) {
      if (d.window.end_ms > retry_at_ms) {
        retry_at_ms = d.window.end_ms;
        blocking = Describe(d.window);
      }
    }
  }
  if (retry_at_ms == 0) return Status();
  return Status::Error(Kind::kBudgetExceeded, "BUDGET_PREFLIGHT_EXCEEDED",
                       "the job's estimated cost does not fit the remaining budget (" + blocking +
                           "); try again after the window rolls over",
                       /*retryable=*/true)
      .WithRetryAfterMs(retry_at_ms - now_ms);
}

}  // namespace ingestd
