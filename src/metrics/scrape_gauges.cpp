#include "metrics/scrape_gauges.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace ingestd::metrics {
namespace {

// A gauge family whose label sets come and go between scrapes (a window with no spend, a
// state no job is in): each refresh zeroes what it set before, then sets what is current.
class GaugeSet {
 public:
  GaugeSet(prometheus::Registry& r, const char* name, const char* help)
      : family_(prometheus::BuildGauge().Name(name).Help(help).Register(r)) {}
  void Reset() {
    for (prometheus::Gauge* g : seen_) g->Set(0);
  }
  void Set(const prometheus::Labels& labels, double value) {
    prometheus::Gauge& g = family_.Add(labels);
    g.Set(value);
    seen_.insert(&g);
  }

 private:
  prometheus::Family<prometheus::Gauge>& family_;
  std::set<prometheus::Gauge*> seen_;
};

std::string WindowName(const WindowState& w) {
  const int64_t len = w.window_end_ms - w.window_start_ms;
  if (len == 3'600'000) return "hour";
  if (len == 86'400'000) return "day";
  return std::to_string(len / 1000) + "s";
}

// Every gauge and the sources it reads; touched only by the refresh (under Metrics' lock).
struct Gauges {
  Gauges(prometheus::Registry& r, ScrapeSources s)
      : sources(s),
        jobs(r, "ingestd_jobs", "Jobs in the store (every process's) by queue state and status"),
        spent(r, "ingestd_ledger_spent",
              "Spent in the current budget window, by scope (total, parse, embed, users: every "
              "user summed), window and unit (usd, requests)"),
        reserved(r, "ingestd_ledger_reserved",
                 "Reserved by calls in flight in the current budget window"),
        limit(r, "ingestd_ledger_limit",
              "Limit of the budget window (scope users: the limit of each user)"),
        breaker(r, "ingestd_breaker_state",
                "1 for the state the service's circuit breaker is in, 0 for the others"),
        probe_ok(r, "ingestd_probe_ok", "1 when the last health probe of the service passed"),
        audit_queue(r, "ingestd_audit_queue_depth",
                    "Audit rows of provider calls recorded and not yet written"),
        index_vectors(r, "ingestd_search_index_vectors",
                      "Live vectors in this process's search index, by model (every user's "
                      "space of the model summed)"),
        index_bytes(r, "ingestd_search_index_bytes",
                    "Memory of this process's search index, by model (every user's space of "
                    "the model summed)"),
        span_queue(r, "ingestd_trace_export_queue_depth",
                   "Finished spans waiting for the OTLP exporter to send them"),
        spans_exported(CounterFamily(&r, "ingestd_trace_spans_exported_total",
                                     "Spans the OTLP collector accepted")
                           .Add({})),
        spans_dropped(CounterFamily(&r, "ingestd_trace_spans_dropped_total",
                                    "Spans lost: the export queue was full, the export failed "
                                    "or the collector rejected them")
                          .Add({})),
        source_errors(CounterFamily(&r, "ingestd_metrics_source_errors_total",
                                    "Scrape-time reads that failed (their gauges keep the last "
                                    "values), by source")) {}

  void Refresh() {
    if (sources.store) RefreshJobs();
    if (sources.ledger) RefreshLedger();
    if (sources.router) RefreshServices();
    if (sources.audit) audit_queue.Set({}, static_cast<double>(sources.audit->stats().queued));
    if (sources.search_index) RefreshIndex();
    if (sources.spans) RefreshSpans();
  }

  // The exporter counts; the counters catch up by the difference since the last scrape.
  void RefreshSpans() {
    const otlp::ExportCounts now = sources.spans->counts();
    span_queue.Set({}, static_cast<double>(now.queue_depth));
    spans_exported.Increment(static_cast<double>(now.exported) - spans_exported.Value());
    spans_dropped.Increment(static_cast<double>(now.dropped) - spans_dropped.Value());
  }

  void RefreshIndex() {
    std::map<std::string, std::pair<size_t, size_t>> per_model;  // vectors, bytes
    for (const search::SpaceReport& s : sources.search_index->Report().spaces) {
      auto& [vectors, bytes] = per_model[s.model];
      vectors += s.vectors;
      bytes += s.memory_bytes;
    }
    index_vectors.Reset();
    index_bytes.Reset();
    for (const auto& [model, size] : per_model) {
      index_vectors.Set({{"model", model}}, static_cast<double>(size.first));
      index_bytes.Set({{"model", model}}, static_cast<double>(size.second));
    }
  }

  void RefreshJobs() {
    const int64_t now = sources.clock->MonotonicMillis();
    if (jobs_read_at && now - *jobs_read_at < sources.jobs_cache_ms) return;
    auto counts = sources.store->CountJobsByState();
    if (!counts.ok()) return source_errors.Add({{"source", "store"}}).Increment();
    jobs_read_at = now;
    jobs.Reset();
    for (const JobCount& c : *counts) {
      jobs.Set(
          {{"state", std::string(ToString(c.state))}, {"status", std::string(ToString(c.status))}},
          static_cast<double>(c.count));
    }
  }

  void RefreshLedger() {
    auto windows = sources.ledger->CurrentWindows();
    if (!windows.ok()) return source_errors.Add({{"source", "ledger"}}).Increment();
    struct Sum {
      double spent = 0, reserved = 0, limit = 0;
    };
    std::map<prometheus::Labels, Sum> sums;
    for (const WindowState& w : *windows) {
      const bool usd = w.metric == "usd";
      const double scale = usd ? 1e-9 : 1.0;  // usd amounts are nanodollars
      const std::string scope = w.scope.starts_with("user:") ? "users" : w.scope;
      Sum& s = sums[{{"scope", scope}, {"window", WindowName(w)}, {"unit", w.metric}}];
      s.spent += static_cast<double>(w.spent) * scale;
      s.reserved += static_cast<double>(w.reserved) * scale;
      s.limit = std::max(s.limit, static_cast<double>(w.limit) * scale);
    }
    spent.Reset();
    reserved.Reset();
    limit.Reset();
    for (const auto& [labels, s] : sums) {
      spent.Set(labels, s.spent);
      reserved.Set(labels, s.reserved);
      limit.Set(labels, s.limit);
    }
  }

  void RefreshServices() {
    for (const ServiceHealth& h : sources.router->Health()) {
      for (BreakerState st :
           {BreakerState::kClosed, BreakerState::kOpen, BreakerState::kHalfOpen}) {
        breaker.Set({{"service", h.service}, {"state", ToString(st)}},
                    h.breaker.state == st ? 1 : 0);
      }
      if (h.last_probe) probe_ok.Set({{"service", h.service}}, h.last_probe->ok ? 1 : 0);
    }
  }

  const ScrapeSources sources;
  std::optional<int64_t> jobs_read_at;  // monotonic ms of the cached job counts
  GaugeSet jobs, spent, reserved, limit, breaker, probe_ok, audit_queue, index_vectors, index_bytes,
      span_queue;
  prometheus::Counter& spans_exported;
  prometheus::Counter& spans_dropped;
  prometheus::Family<prometheus::Counter>& source_errors;
};

}  // namespace

void RegisterScrapeGauges(Metrics* metrics, ScrapeSources sources) {
  auto gauges = std::make_shared<Gauges>(metrics->registry(), sources);
  metrics->OnScrape([gauges] { gauges->Refresh(); });
}

}  // namespace ingestd::metrics
