// SearchMetrics: the search handler's SearchObserver. Counts searches by mode and outcome
// ("ok" or the refusal's error code) and their latency by mode. The index's size per model
// is a scrape-time gauge (scrape_gauges.h); no label ever holds a user id or query text.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "api/exchange.h"

namespace ingestd::metrics {

class SearchMetrics final : public api::SearchObserver {
 public:
  // registry must outlive this object.
  explicit SearchMetrics(prometheus::Registry* registry);
  void OnSearch(const api::SearchRecord& record) override;

 private:
  prometheus::Family<prometheus::Counter>& queries_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

}  // namespace ingestd::metrics
