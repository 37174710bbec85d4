#include "ledger/windows.h"

#include <nlohmann/json.hpp>

namespace ingestd {
namespace {

void Add(std::vector<WindowSpec>* out, const std::string& scope, const std::string& metric,
         int64_t len_ms, int64_t now_ms, int64_t limit) {
  WindowSpec w;
  w.scope = scope;
  w.metric = metric;
  w.start_ms = WindowStart(now_ms, len_ms);
  w.end_ms = w.start_ms + len_ms;
  w.limit = limit;
  w.key = scope + "|" + metric + "|" + std::to_string(len_ms) + "|" + std::to_string(w.start_ms);
  out->push_back(std::move(w));
}

}  // namespace

int64_t HeldBack(const LedgerOptions& options, const ReserveRequest& request,
                 const std::string& metric, int64_t limit) {
  if (metric != "usd" || request.processing_priority >= options.priority_min) return 0;
  const int64_t pct = options.priority_reserve_pct;
  // limit * pct / 100 without overflowing for any limit.
  return limit / 100 * pct + limit % 100 * pct / 100;
}

const ServiceLimits* LedgerOptions::LimitsFor(const std::string& service) const {
  if (service == "parse") return &parse;
  if (service == "embed") return &embed;
  return nullptr;
}

std::vector<WindowSpec> WindowsFor(const LedgerOptions& options, const ReserveRequest& request,
                                   int64_t now_ms) {
  std::vector<WindowSpec> out;
  if (options.daily_usd) Add(&out, "total", "usd", kDayMs, now_ms, UsdToNanos(*options.daily_usd));
  if (const ServiceLimits* l = options.LimitsFor(request.service)) {
    if (l->daily_usd) Add(&out, request.service, "usd", kDayMs, now_ms, UsdToNanos(*l->daily_usd));
    if (l->hourly_usd) {
      Add(&out, request.service, "usd", kHourMs, now_ms, UsdToNanos(*l->hourly_usd));
    }
    if (l->hourly_requests) {
      Add(&out, request.service, "requests", kHourMs, now_ms, *l->hourly_requests);
    }
  }
  if (options.user_daily_usd && !request.user_id.empty()) {
    Add(&out, "user:" + request.user_id, "usd", kDayMs, now_ms,
        UsdToNanos(*options.user_daily_usd));
  }
  for (WindowSpec& w : out) w.held_back = HeldBack(options, request, w.metric, w.limit);
  return out;
}

std::string HeldBackJson(const std::vector<WindowSpec>& windows) {
  nlohmann::json held = nlohmann::json::object();
  for (const WindowSpec& w : windows) held[w.key] = w.held_back;
  return held.dump();
}

}  // namespace ingestd
