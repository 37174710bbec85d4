// HttpMetrics: the HttpServer's RequestObserver. Counts requests and their latency by route
// pattern (never the raw path: ids stay out of labels), method and status, and uploads
// accepted and refused (by error code) on the routes the route table marks as uploads.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "api/exchange.h"

namespace ingestd::metrics {

class HttpMetrics final : public api::RequestObserver {
 public:
  // registry must outlive this object.
  explicit HttpMetrics(prometheus::Registry* registry);
  void OnRequest(const api::RequestRecord& record) override;

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Counter& uploads_accepted_;
  prometheus::Family<prometheus::Counter>& uploads_refused_;
};

}  // namespace ingestd::metrics
