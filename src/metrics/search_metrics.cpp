#include "metrics/search_metrics.h"

#include <string>

#include "metrics/metrics.h"

namespace ingestd::metrics {

SearchMetrics::SearchMetrics(prometheus::Registry* registry)
    : queries_(CounterFamily(registry, "ingestd_search_queries_total",
                             "POST /api/v1/search requests with a readable body, by mode and "
                             "outcome (ok, or the refusal's error code)")),
      latency_(prometheus::BuildHistogram()
                   .Name("ingestd_search_duration_seconds")
                   .Help("Searches from the read body to the answer (any outcome), by mode")
                   .Register(*registry)) {}

void SearchMetrics::OnSearch(const api::SearchRecord& r) {
  const std::string mode(r.mode);
  queries_
      .Add({{"mode", mode}, {"outcome", r.outcome.empty() ? "UNKNOWN" : std::string(r.outcome)}})
      .Increment();
  latency_.Add({{"mode", mode}}, LatencyBuckets()).Observe(r.seconds);
}

}  // namespace ingestd::metrics
