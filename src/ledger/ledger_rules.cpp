#include "ledger/ledger_rules.h"

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "ledger/windows.h"

namespace ingestd {

Status ValidateReserve(const LedgerOptions& options, const ReserveRequest& r) {
  if (r.estimate_nanos < 0 || options.LimitsFor(r.service) == nullptr) {
    return Status::InvalidArgument("RESERVATION_INVALID",
                                   "a reservation needs a known service and an estimate >= 0");
  }
  return Status();
}

Status ValidateUsage(const Usage& actual) {
  if (actual.cost_nanos < 0) {
    return Status::InvalidArgument("USAGE_INVALID", "a settled cost cannot be negative");
  }
  return Status();
}

Status ReservationNotFound(const std::string& id) {
  return Status::NotFound("RESERVATION_NOT_FOUND",
                          "reservation " + id + " is not open (settled, released or swept)");
}

Refusal Refuse(const LedgerOptions& options, const ReserveRequest& r,
               const std::vector<LockedWindow>& windows, int64_t now) {
  Refusal out;
  int64_t retry_at = now;
  bool never = false, reserve = false;
  std::string blocked;
  for (const LockedWindow& lw : windows) {
    const WindowState& w = lw.state;
    const int64_t amount = AmountFor(w.metric, r.estimate_nanos);
    const int64_t held = HeldBack(options, r, w.metric, w.limit);
    if (w.spent + w.reserved + amount <= w.limit - held) continue;
    blocked += (blocked.empty() ? "" : ", ") + w.scope + " " + w.metric;
    if (amount > w.limit - held) {
      never = true;
      reserve = reserve || amount <= w.limit;
    } else if (w.spent + amount > w.limit) {
      retry_at = std::max(retry_at, w.window_end_ms);
      out.alert_keys.push_back(lw.key);
      out.alerts.push_back({"exhausted", w.scope, w.metric, w.window_start_ms, w.spent, w.limit, "",
                            r.job_id, r.correlation_id});
    } else if (w.spent + amount > w.limit - held) {
      // Spend reached the priority reserve: this priority waits for the next window (the
      // window is not exhausted, so no alert).
      retry_at = std::max(retry_at, w.window_end_ms);
    } else {
      retry_at = std::max(retry_at, now + options.reserved_retry_ms);
    }
  }
  if (never) {
    out.status =
        Status::Error(Kind::kBudgetExceeded, "BUDGET_ESTIMATE_TOO_LARGE",
                      "the call's estimate alone exceeds " +
                          std::string(reserve ? "what the priority reserve leaves of " : "") +
                          "the " + blocked + " limit");
  } else {
    out.status = Status::Error(
                     Kind::kBudgetExceeded, "BUDGET_EXCEEDED",
                     "budget exhausted (" + blocked + "); room again at " + FormatRfc3339(retry_at),
                     /*retryable=*/true)
                     .WithRetryAfterMs(retry_at - now);
  }
  return out;
}

void AddUntouchedWindows(const LedgerOptions& options, int64_t now, std::vector<WindowState>* out) {
  for (const char* service : {"parse", "embed"}) {
    for (const WindowSpec& w : WindowsFor(options, {service, 0, "", "", ""}, now)) {
      auto same = [&](const WindowState& s) {
        return s.scope == w.scope && s.metric == w.metric && s.window_start_ms == w.start_ms &&
               s.window_end_ms == w.end_ms;
      };
      if (std::none_of(out->begin(), out->end(), same)) {
        out->push_back({w.scope, w.metric, w.start_ms, w.end_ms, w.limit, 0, 0});
      }
    }
  }
}

Result<CostGroup> ParseCostGroup(const std::string& g) {
  if (g == "service") return CostGroup::kService;
  if (g == "user") return CostGroup::kUser;
  if (g == "job") return CostGroup::kJob;
  if (g == "day") return CostGroup::kDay;
  if (g == "hour") return CostGroup::kHour;
  return Status::InvalidArgument("GROUP_BY_INVALID",
                                 "group_by must be service, user, job, day or hour");
}

const char* OnExpiryName(OnExpiry e) { return e == OnExpiry::kCharge ? "charge" : "release"; }

OnExpiry ParseOnExpiry(const std::string& name) {
  return name == "charge" ? OnExpiry::kCharge : OnExpiry::kRelease;
}

std::vector<LedgerAlert> OverrunAlerts(const OverrunInput& in) {
  std::vector<LedgerAlert> out;
  if (in.actual <= in.held) return out;
  for (const WindowState& w : in.over) {
    out.push_back({"cost_overrun", w.scope, w.metric, w.window_start_ms, w.spent, w.limit,
                   in.reservation_id, in.job_id, in.correlation_id});
  }
  if (out.empty()) {
    out.push_back({"cost_overrun", in.service, "usd", in.now_ms, in.actual, in.held,
                   in.reservation_id, in.job_id, in.correlation_id});
  }
  return out;
}

Result<int64_t> LapseEach(const std::vector<Expired>& expired,
                          const std::function<Result<bool>(const Expired&)>& lapse) {
  int64_t lapsed = 0;
  for (const Expired& e : expired) {
    auto done = lapse(e);
    if (!done.ok()) return done.status();
    if (!*done) continue;  // finished, or another process swept it first
    ++lapsed;
    log::Warn(e.on_expiry == OnExpiry::kCharge
                  ? "budget reservation lapsed; its estimate is charged (the call may have been "
                    "billed)"
                  : "budget reservation lapsed and was released",
              {{"reservation_id", e.id}, {"on_expiry", OnExpiryName(e.on_expiry)}});
  }
  return lapsed;
}

void EmitAlerts(const std::vector<LedgerAlert>& alerts, const AlertSink& sink) {
  for (const LedgerAlert& a : alerts) {
    log::Warn("budget alert", {{"kind", a.kind},
                               {"scope", a.scope},
                               {"metric", a.metric},
                               {"window_start", FormatRfc3339(a.window_start_ms)},
                               {"spent", a.spent},
                               {"limit", a.limit},
                               {"reservation_id", a.reservation_id},
                               {"job_id", a.job_id},
                               {"correlation_id", a.correlation_id}});
    if (sink) sink(a);
  }
}

}  // namespace ingestd
