#include "metrics/metrics.h"

#include <prometheus/text_serializer.h>

namespace ingestd::metrics {

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {}

void Metrics::OnScrape(std::function<void()> refresh) {
  std::lock_guard lock(mu_);
  refreshers_.push_back(std::move(refresh));
}

std::string Metrics::Exposition() {
  std::lock_guard lock(mu_);
  for (const auto& refresh : refreshers_) refresh();
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry* registry,
                                                       const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(*registry);
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

}  // namespace ingestd::metrics
