// PipelineMetrics: what the pipeline reports through the hooks the wiring gives it — stage
// durations (PipelineOptions::on_stage_done), jobs finished, routing decisions and fallbacks
// by reason (the router's DecisionSink), and alerts raised by kind (AlertHubDeps::on_raised).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <cstdint>
#include <string_view>

#include "alerts/alert.h"
#include "services/router/service_route.h"

namespace ingestd::metrics {

class PipelineMetrics {
 public:
  // registry must outlive this object. Every method is thread-safe and quick.
  explicit PipelineMetrics(prometheus::Registry* registry);

  void OnStageDone(std::string_view stage, int64_t ms);
  void OnJobFinished(bool dead_lettered);
  void OnDecision(const RouteDecision& decision);
  void OnAlert(const Alert& alert);

 private:
  prometheus::Family<prometheus::Histogram>& stage_seconds_;
  prometheus::Family<prometheus::Counter>& jobs_finished_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Counter>& fallbacks_;
  prometheus::Family<prometheus::Counter>& alerts_;
};

}  // namespace ingestd::metrics
