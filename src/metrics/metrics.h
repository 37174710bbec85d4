// Metrics: the process's Prometheus registry (prometheus-cpp core) and its text exposition,
// which GET /metrics serves. The families live in the observers beside this file; gauges read
// at scrape time register a refresh that runs before each exposition.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ingestd::metrics {

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  prometheus::Registry& registry() { return *registry_; }
  // refresh runs before every exposition, under this object's lock (one scrape at a time), so
  // a gauge read from elsewhere (the store, the ledger) is current when it is serialized.
  void OnScrape(std::function<void()> refresh);
  // Every metric in the Prometheus text format 0.0.4. Thread-safe.
  std::string Exposition();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::mutex mu_;
  std::vector<std::function<void()>> refreshers_;  // guarded by mu_
};

// Registers a counter family in registry.
prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry* registry,
                                                       const char* name, const char* help);

// Buckets of a latency in seconds: 1 ms to 60 s, roughly ×2.5 apart.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

}  // namespace ingestd::metrics
