// Gauges read at scrape time from the components that hold the state, so they are never
// stale and nothing has to push them: jobs per state and status (one store aggregate,
// cached for a second), ledger windows (spent, reserved, limit; the per-user windows summed
// into one scope "users"), breaker state and last probe per service, the audit queue, the
// search index's vectors and bytes per model (every user's spaces of a model summed), and
// the span exporter's queue and its exported and dropped spans.
#pragma once

#include <cstdint>

#include "audit/async_audit_writer.h"
#include "core/clock.h"
#include "ledger/ledger.h"
#include "metrics/metrics.h"
#include "search/search_index.h"
#include "services/router/service_router.h"
#include "store/store.h"
#include "trace/otlp_exporter.h"

namespace ingestd::metrics {

// What the gauges read; null members are skipped. All must outlive the Metrics.
struct ScrapeSources {
  Store* store = nullptr;
  const Clock* clock = nullptr;  // required with store: the job counts' cache age
  int64_t jobs_cache_ms = 1'000;
  Ledger* ledger = nullptr;
  const ServiceRouter* router = nullptr;
  const AsyncAuditWriter* audit = nullptr;
  const search::SearchIndex* search_index = nullptr;
  const otlp::OtlpExporter* spans = nullptr;
};

// Registers the gauges' families in metrics and the refresh that fills them at each scrape.
void RegisterScrapeGauges(Metrics* metrics, ScrapeSources sources);

}  // namespace ingestd::metrics
