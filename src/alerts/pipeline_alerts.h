// PipelineAlerts: turns what the pipeline reports into alerts on an AlertHub, one per
// crossing:
//   ledger alerts (already once per window and threshold) → budget_pct80 / budget_pct95 /
//     budget_exhausted / cost_zero_settled / cost_overrun (one per settle above its
//     reservation, per window it left over the limit);
//   breaker transitions → breaker_opened (closed → open) and breaker_closed (back to
//     closed); a failed half-open probe reopening the breaker is no new alert;
//   route decisions → fallback_rate_high / _normal per service (RateMonitor over calls);
//   finished jobs → dead_letter_rate_high / _normal (RateMonitor over finished jobs).
// Each alert carries the job and correlation id of the call or job that caused it.
//
// Thread-safe: the On* methods are called from worker threads concurrently.
#pragma once

#include <memory>
#include <optional>

#include "alerts/alert_hub.h"
#include "alerts/rate_monitor.h"
#include "core/model.h"
#include "ledger/ledger.h"
#include "services/router/service_route.h"

namespace ingestd {

struct PipelineAlertOptions {
  std::optional<RateMonitorOptions> fallback_rate;     // unset: no fallback-rate alerts
  std::optional<RateMonitorOptions> dead_letter_rate;  // unset: no dead-letter-rate alerts
};

Alert AlertFromLedger(const LedgerAlert& alert);
// nullopt for transitions that are not worth an alert (half-open probes).
std::optional<Alert> AlertFromBreaker(const BreakerEvent& event);

class PipelineAlerts {
 public:
  // hub and clock must outlive this.
  PipelineAlerts(const AlertHub* hub, PipelineAlertOptions options, const Clock* clock);

  void OnLedgerAlert(const LedgerAlert& alert) const;
  void OnBreaker(const BreakerEvent& event) const;
  void OnDecision(const RouteDecision& decision);
  void OnJobFinished(const Job& job, bool dead_lettered);

 private:
  void RaiseRate(const char* what, const std::string& scope, const RateMonitor& monitor,
                 const RateCrossing& crossing, const std::string& job_id,
                 const std::string& correlation_id) const;

  const AlertHub* const hub_;
  std::unique_ptr<RateMonitor> parse_fallback_;
  std::unique_ptr<RateMonitor> embed_fallback_;
  std::unique_ptr<RateMonitor> dead_letter_;
};

}  // namespace ingestd
