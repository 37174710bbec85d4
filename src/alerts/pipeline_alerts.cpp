#include "alerts/pipeline_alerts.h"

#include <cmath>
#include <cstdio>

namespace ingestd {
namespace {

std::string Percent(double fraction) {
  return std::to_string(static_cast<int>(std::lround(fraction * 100))) + "%";
}

std::string Amount(const std::string& metric, double v) {
  if (metric != "usd") return std::to_string(static_cast<int64_t>(v)) + " requests";
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.4f", v);
  return buf;
}

}  // namespace

Alert AlertFromLedger(const LedgerAlert& l) {
  Alert a;
  a.scope = l.scope;
  a.job_id = l.job_id;
  a.correlation_id = l.correlation_id;
  a.details = {{"reservation_id", l.reservation_id},
               {"window_start", FormatRfc3339(l.window_start_ms)},
               {"spent", l.spent},
               {"limit", l.limit}};
  if (l.kind == "zero_cost") {
    a.kind = "cost_zero_settled";
    a.metric = "usd";
    a.message = "A paid " + l.scope + " call was settled at $0 (check the price table)";
    return a;
  }
  if (l.kind == "cost_overrun") {
    // Spend recorded above what its reservation held: the provider billed more than the
    // estimate, or the call's reservation had lapsed. The budget may now be overspent.
    const bool usd = l.metric == "usd";
    a.kind = "cost_overrun";
    a.metric = l.metric;
    a.value = usd ? NanosToUsd(l.spent) : static_cast<double>(l.spent);
    a.threshold = usd ? NanosToUsd(l.limit) : static_cast<double>(l.limit);
    a.severity = "critical";
    a.message = "Cost overrun: " + l.scope + " at " + Amount(l.metric, a.value) + " against " +
                Amount(l.metric, a.threshold) +
                " (a call cost more than its reservation held; spend is recorded in full)";
    return a;
  }
  a.kind = "budget_" + l.kind;
  a.metric = l.metric;
  const bool usd = l.metric == "usd";
  a.value = usd ? NanosToUsd(l.spent) : static_cast<double>(l.spent);
  a.threshold = usd ? NanosToUsd(l.limit) : static_cast<double>(l.limit);
  a.severity = l.kind == "exhausted" ? "critical" : "warning";
  const std::string what = l.kind == "exhausted" ? "Budget exhausted"
                           : l.kind == "pct95"   ? "Budget 95% used"
                                                 : "Budget 80% used";
  a.message = what + ": " + l.scope + " at " + Amount(l.metric, a.value) + " of " +
              Amount(l.metric, a.threshold) + " (window from " + FormatRfc3339(l.window_start_ms) +
              ")";
  return a;
}

std::optional<Alert> AlertFromBreaker(const BreakerEvent& e) {
  const bool opened =
      e.transition.from == BreakerState::kClosed && e.transition.to == BreakerState::kOpen;
  const bool closed = e.transition.to == BreakerState::kClosed;
  if (!opened && !closed) return std::nullopt;
  Alert a;
  a.kind = opened ? "breaker_opened" : "breaker_closed";
  a.scope = e.service;
  a.metric = "state";
  a.value = e.breaker.error_rate;
  a.severity = opened ? "critical" : "info";
  a.job_id = e.job_id;
  a.correlation_id = e.correlation_id;
  a.details = {{"from", ToString(e.transition.from)},
               {"to", ToString(e.transition.to)},
               {"consecutive_failures", e.breaker.consecutive_failures},
               {"error_rate", e.breaker.error_rate}};
  if (opened) {
    a.details["retry_at"] = FormatRfc3339(e.breaker.retry_at_ms);
    a.message = "The " + e.service + " circuit breaker opened after " +
                std::to_string(e.breaker.consecutive_failures) +
                " consecutive failures; calls are refused or served by the fallback";
  } else {
    a.message = "The " + e.service + " circuit breaker closed: the service answers again";
  }
  return a;
}

PipelineAlerts::PipelineAlerts(const AlertHub* hub, PipelineAlertOptions options,
                               const Clock* clock)
    : hub_(hub) {
  if (options.fallback_rate) {
    parse_fallback_ = std::make_unique<RateMonitor>(*options.fallback_rate, clock);
    embed_fallback_ = std::make_unique<RateMonitor>(*options.fallback_rate, clock);
  }
  if (options.dead_letter_rate) {
    dead_letter_ = std::make_unique<RateMonitor>(*options.dead_letter_rate, clock);
  }
}

void PipelineAlerts::OnLedgerAlert(const LedgerAlert& alert) const {
  hub_->Raise(AlertFromLedger(alert));
}

void PipelineAlerts::OnBreaker(const BreakerEvent& event) const {
  if (auto a = AlertFromBreaker(event)) hub_->Raise(std::move(*a));
}

void PipelineAlerts::OnDecision(const RouteDecision& d) {
  RateMonitor* m = d.service == "parse"   ? parse_fallback_.get()
                   : d.service == "embed" ? embed_fallback_.get()
                                          : nullptr;
  if (m == nullptr) return;
  if (auto crossing = m->Record(d.fallback_triggered)) {
    RaiseRate("fallback", d.service, *m, *crossing, d.job_id, d.correlation_id);
  }
}

void PipelineAlerts::OnJobFinished(const Job& job, bool dead_lettered) {
  if (!dead_letter_) return;
  if (auto crossing = dead_letter_->Record(dead_lettered)) {
    RaiseRate("dead_letter", "pipeline", *dead_letter_, *crossing, job.id, job.correlation_id);
  }
}

void PipelineAlerts::RaiseRate(const char* what, const std::string& scope,
                               const RateMonitor& monitor, const RateCrossing& c,
                               const std::string& job_id, const std::string& correlation_id) const {
  const std::string name = what;
  Alert a;
  a.kind = name + (c.high ? "_rate_high" : "_rate_normal");
  a.scope = scope;
  a.metric = "rate";
  a.value = c.rate;
  a.threshold = monitor.options().threshold;
  a.severity = c.high ? "warning" : "info";
  a.job_id = job_id;
  a.correlation_id = correlation_id;
  a.details = {{"events", c.events}, {"bad", c.bad}, {"window_ms", monitor.options().window_ms}};
  const std::string noun = name == "fallback" ? "Fallback rate of " + scope
                                              : std::string("Dead-letter rate of finished jobs");
  const std::string unit = name == "fallback" ? " calls" : " jobs";
  a.message = noun + (c.high ? " is " : " is back to ") + Percent(c.rate) + " over the last " +
              std::to_string(c.events) + unit + " (threshold " + Percent(a.threshold) + ")";
  hub_->Raise(std::move(a));
}

}  // namespace ingestd
