#include "metrics/provider_metrics.h"

#include <string>

#include "metrics/metrics.h"

namespace ingestd::metrics {
ProviderMetrics::ProviderMetrics(prometheus::Registry* registry, AuditSink* next)
    : next_(next),
      requests_(CounterFamily(registry, "ingestd_provider_requests_total",
                              "HTTP requests to paid providers (each try), by service, provider, "
                              "operation and HTTP status (0: no HTTP answer)")),
      latency_(prometheus::BuildHistogram()
                   .Name("ingestd_provider_request_duration_seconds")
                   .Help("Latency of provider requests, by service, provider and operation")
                   .Register(*registry)),
      errors_(CounterFamily(registry, "ingestd_provider_errors_total",
                            "Provider requests that failed, by service, provider, HTTP status and "
                            "error code")),
      retries_(CounterFamily(registry, "ingestd_provider_retries_total",
                             "Provider requests that were retries of an earlier try")),
      rate_limited_(CounterFamily(registry, "ingestd_provider_rate_limited_total",
                                  "Provider answers 429 Too Many Requests")),
      tokens_(CounterFamily(registry, "ingestd_provider_tokens_billed_total",
                            "Tokens the provider reported billed, by service, provider and model")),
      pages_(CounterFamily(registry, "ingestd_provider_pages_billed_total",
                           "Pages the provider reported billed (cache hits excluded)")) {}

void ProviderMetrics::Record(AuditRecord r) {
  const std::string status = std::to_string(r.http_status);
  const prometheus::Labels who = {{"service", r.service}, {"provider", r.provider}};
  prometheus::Labels labels = who;
  labels.emplace("operation", r.operation);
  latency_.Add(labels, LatencyBuckets()).Observe(static_cast<double>(r.latency_ms) / 1000.0);
  labels.emplace("http_status", status);
  requests_.Add(labels).Increment();
  if (!r.error_code.empty()) {
    errors_
        .Add({{"service", r.service},
              {"provider", r.provider},
              {"http_status", status},
              {"code", r.error_code}})
        .Increment();
  }
  if (r.attempt > 1) retries_.Add(who).Increment();
  if (r.http_status == 429) rate_limited_.Add(who).Increment();
  if (r.tokens > 0) {
    tokens_.Add({{"service", r.service}, {"provider", r.provider}, {"model", r.model}})
        .Increment(static_cast<double>(r.tokens));
  }
  if (r.pages > 0 && !r.cache_hit) pages_.Add(who).Increment(static_cast<double>(r.pages));
  next_->Record(std::move(r));
}

}  // namespace ingestd::metrics
