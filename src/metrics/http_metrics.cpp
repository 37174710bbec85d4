#include "metrics/http_metrics.h"

#include <string>

#include "metrics/metrics.h"

namespace ingestd::metrics {

HttpMetrics::HttpMetrics(prometheus::Registry* registry)
    : requests_(CounterFamily(registry, "ingestd_http_requests_total",
                              "HTTP requests answered, by method, route pattern and status")),
      latency_(prometheus::BuildHistogram()
                   .Name("ingestd_http_request_duration_seconds")
                   .Help("From the request header read to the response header sent, by method, "
                         "route pattern and status")
                   .Register(*registry)),
      uploads_accepted_(CounterFamily(registry, "ingestd_uploads_accepted_total",
                                      "Uploads whose file was accepted (new or duplicate)")
                            .Add({})),
      uploads_refused_(CounterFamily(registry, "ingestd_uploads_refused_total",
                                     "Upload requests refused, by error code")) {}

void HttpMetrics::OnRequest(const api::RequestRecord& r) {
  const prometheus::Labels labels = {{"method", std::string(r.method)},
                                     {"route", std::string(r.route.pattern)},
                                     {"status", std::to_string(r.status)}};
  requests_.Add(labels).Increment();
  latency_.Add(labels, LatencyBuckets()).Observe(r.seconds);
  if (r.route.upload == api::UploadRole::kNone) return;
  if (r.status >= 400) {
    uploads_refused_.Add({{"code", r.error_code.empty() ? "UNKNOWN" : std::string(r.error_code)}})
        .Increment();
  } else if (r.route.upload == api::UploadRole::kFile) {
    uploads_accepted_.Increment();
  }
}

}  // namespace ingestd::metrics
