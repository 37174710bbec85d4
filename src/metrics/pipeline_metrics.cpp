#include "metrics/pipeline_metrics.h"

#include <string>

#include "metrics/metrics.h"

namespace ingestd::metrics {
PipelineMetrics::PipelineMetrics(prometheus::Registry* registry)
    : stage_seconds_(prometheus::BuildHistogram()
                         .Name("ingestd_stage_duration_seconds")
                         .Help("Duration of pipeline stages that completed, by stage")
                         .Register(*registry)),
      jobs_finished_(CounterFamily(registry, "ingestd_jobs_finished_total",
                                   "Jobs this process's workers finished, by outcome (complete, "
                                   "deadletter)")),
      calls_(CounterFamily(registry, "ingestd_service_calls_total",
                           "Parse and embed calls routed, by service and the implementation that "
                           "served (or was refused)")),
      fallbacks_(
          CounterFamily(registry, "ingestd_fallbacks_total",
                        "Calls served by the fallback implementation, by service and reason")),
      alerts_(CounterFamily(registry, "ingestd_alerts_total", "Alerts raised, by kind")) {}

void PipelineMetrics::OnStageDone(std::string_view stage, int64_t ms) {
  stage_seconds_.Add({{"stage", std::string(stage)}}, LatencyBuckets())
      .Observe(static_cast<double>(ms) / 1000.0);
}

void PipelineMetrics::OnJobFinished(bool dead_lettered) {
  jobs_finished_.Add({{"outcome", dead_lettered ? "deadletter" : "complete"}}).Increment();
}

void PipelineMetrics::OnDecision(const RouteDecision& d) {
  calls_.Add({{"service", d.service}, {"implementation", d.implementation}}).Increment();
  if (d.fallback_triggered)
    fallbacks_.Add({{"service", d.service}, {"reason", d.reason}}).Increment();
}

void PipelineMetrics::OnAlert(const Alert& a) { alerts_.Add({{"kind", a.kind}}).Increment(); }

}  // namespace ingestd::metrics
