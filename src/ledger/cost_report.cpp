#include "ledger/cost_report.h"

#include <algorithm>

#include "core/clock.h"
#include "ledger/windows.h"

namespace ingestd {
namespace {

Result<int64_t> ParseTime(const std::string& text, const char* name) {
  if (auto ms = ParseTimeParam(text)) return *ms;
  return Status::InvalidArgument(
      "COST_QUERY_INVALID",
      std::string(name) + " must be epoch milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
}

double Usd(int64_t nanos) { return NanosToUsd(nanos); }

}  // namespace

Result<CostQuery> MakeCostQuery(const std::string& from, const std::string& to,
                                const std::string& group_by, int64_t now_ms) {
  CostQuery q;
  q.from_ms = WindowStart(now_ms, kDayMs);
  q.to_ms = now_ms + 1;
  if (!from.empty()) {
    auto t = ParseTime(from, "from");
    if (!t.ok()) return t.status();
    q.from_ms = *t;
  }
  if (!to.empty()) {
    auto t = ParseTime(to, "to");
    if (!t.ok()) return t.status();
    q.to_ms = *t;
  }
  if (q.to_ms <= q.from_ms) {
    return Status::InvalidArgument("COST_QUERY_INVALID", "to must be later than from");
  }
  if (!group_by.empty()) q.group_by = group_by;
  return q;
}

nlohmann::json CostsJson(const CostQuery& q, const CostReport& report,
                         const std::vector<WindowState>& windows) {
  nlohmann::json rows = nlohmann::json::array();
  int64_t total = 0;
  for (const CostRow& r : report.rows) {
    total += r.cost_nanos;
    rows.push_back({{q.group_by, r.group},
                    {"cost_usd", Usd(r.cost_nanos)},
                    {"calls", r.calls},
                    {"units", r.units}});
  }
  nlohmann::json limits = nlohmann::json::array();
  for (const WindowState& w : windows) {
    const bool usd = w.metric == "usd";
    auto amount = [&](int64_t v) -> nlohmann::json {
      return usd ? nlohmann::json(Usd(v)) : nlohmann::json(v);
    };
    limits.push_back({{"scope", w.scope},
                      {"metric", usd ? "usd" : "requests"},
                      {"window", w.window_end_ms - w.window_start_ms == kHourMs ? "hour" : "day"},
                      {"window_start", FormatRfc3339(w.window_start_ms)},
                      {"window_end", FormatRfc3339(w.window_end_ms)},
                      {"limit", amount(w.limit)},
                      {"spent", amount(w.spent)},
                      {"reserved", amount(w.reserved)},
                      {"remaining", amount(std::max<int64_t>(0, w.limit - w.spent - w.reserved))}});
  }
  return {{"from", FormatRfc3339(q.from_ms)},
          {"to", FormatRfc3339(q.to_ms)},
          {"group_by", q.group_by},
          {"total_usd", Usd(total)},
          {"rows", rows},
          {"open_reservations", report.open_reservations},
          {"open_reserved_usd", Usd(report.open_reserved_nanos)},
          {"limits", limits}};
}

}  // namespace ingestd
