// `ingestd serve`: the HTTP API plus pipeline worker threads in one process, on the store
// and blob store named by the configuration. Stops gracefully on SIGTERM/SIGINT.
#include <signal.h>

#include <cstdio>
#include <filesystem>

#include "api/callback_deliverer.h"
#include "api/http_server.h"
#include "api/router.h"
#include "api/upload_preflight.h"
#include "audit/audit_factory.h"
#include "blob/blob_store.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/pipeline_setup.h"
#include "cli/process_setup.h"
#include "cli/search_setup.h"
#ifdef INGESTD_TEST_ROUTES
#include "cli/test_routes.h"
#endif
#include "core/log.h"
#include "limits/upload_limiter.h"
#include "metrics/http_metrics.h"
#include "metrics/metrics.h"
#include "metrics/scrape_gauges.h"
#include "metrics/search_metrics.h"
#include "pdf/helper_runner.h"
#include "services/http/curl_http_client.h"
#include "store/store.h"

namespace ingestd::cli {
namespace {

int Fail(const Status& s) { return FailStart("serve", s); }

// A real or hybrid service whose client cannot be built (no API key, bad client settings):
// serve still starts, but refuses uploads (503) and runs no workers until it is fixed.
bool IsUnconfiguredService(const Status& s) {
  return s.code() == "SERVICE_NOT_CONFIGURED" || s.code() == "LLAMAPARSE_CONFIG" ||
         s.code() == "OPENAI_CONFIG";
}

api::PreflightOptions PreflightOptionsFor(const Config& config, Status not_configured) {
  api::PreflightOptions o;
  o.budgets = config.ledger;
  o.embed_model = config.openai_embed_model;
  o.fallbacks = {{"parse", "local"}, {"embed", "local"}};  // as BuildRouter registers them
  o.breaker = config.breaker;
  if (!not_configured.ok()) {
    o.not_configured =
        Status::Error(Kind::kUnavailable, "SERVICE_NOT_CONFIGURED", not_configured.message());
  }
  return o;
}

}  // namespace

int RunServe(const Args& args) {
  bool with_workers = true;
  for (const auto& a : args) {
    if (a == "--no-workers") {
      with_workers = false;
    } else {
      std::fprintf(stderr, "usage: ingestd serve [--no-workers]\n");
      return 2;
    }
  }
  // Block the stop signals in every thread; the main thread waits for them below.
  const sigset_t stop_signals = BlockStopSignals();

  auto env = ProcessEnv();
  auto loaded = LoadProcessConfig(env);
  if (!loaded.ok()) return Fail(loaded.status());
  Config config = std::move(loaded.value());
  if (Status s = ResolveSecrets(env, &config); !s.ok()) return Fail(s);
  const SpanExport spans(config.otlp);  // outlives everything below that makes spans
  auto backends = OpenBackends(config);
  if (!backends.ok()) return Fail(backends.status());
  Store* store = backends->store.get();
  BlobStore* blobs = backends->blobs.get();

  with_workers = with_workers && config.workers > 0;
  // The ledger and router are built even without workers: uploads are pre-flighted here.
  Config pipeline_config = config;
  if (!with_workers) pipeline_config.workers = 0;
  // GET /metrics (open, or behind INGESTD_METRICS_TOKEN): the pipeline reports into it.
  metrics::Metrics metrics;
  std::unique_ptr<Pipeline> pipeline;
  Status not_configured;
  auto started = StartPipeline(pipeline_config, store, blobs, &metrics);
  if (started.ok()) {
    pipeline = std::move(started.value());
  } else if (IsUnconfiguredService(started.status())) {
    not_configured = started.status();
    with_workers = false;
    log::Error("services not configured: uploads are refused and no workers run",
               {{"code", not_configured.code()}, {"error", not_configured.message()}});
  } else {
    return Fail(started.status());
  }

  api::ApiContext ctx;
  ctx.store = store;
  ctx.blobs = blobs;
  ctx.clock = SystemClock::Default();
  ctx.options = config.api;
  if (pipeline) {
    ctx.on_job_queued = [p = pipeline.get()] { p->Notify(); };
    ctx.ledger = pipeline->ledger();
    ctx.router = pipeline->router();
    ctx.alerts = pipeline->alert_log();
    ctx.keys = pipeline->keys();
    ctx.audit = pipeline->audit_log();
    ctx.modes = pipeline->modes();
  }
  // Upload rate limits: buckets shared with every process on the database.
  std::unique_ptr<limits::UploadLimiter> upload_limiter;
  if (config.api.upload_limits.rate_limited()) {
    auto opened =
        limits::OpenUploadLimiter(config.database_url, config.api.upload_limits, ctx.clock);
    if (!opened.ok()) return Fail(opened.status());
    upload_limiter = std::move(*opened);
    ctx.upload_limiter = upload_limiter.get();
  }
  // Search: this process's own index, caught up from the store (every serve process on a
  // PostgreSQL database keeps one); the query embeds go through the router like paid calls.
  // Its rate limit is shared like the upload ones, in buckets of its own.
  Search search;
  std::unique_ptr<limits::UploadLimiter> search_limiter;
  if (ctx.router != nullptr) {
    auto started = StartSearch(config, store, ctx.router->embedder(), ctx.clock);
    if (!started.ok()) return Fail(started.status());
    search = std::move(*started);
    ctx.search = search.service.get();
  }
  if (ctx.search != nullptr && config.searches_per_minute > 0) {
    auto opened = limits::OpenUploadLimiter(
        config.database_url, limits::UploadLimits{.per_minute = config.searches_per_minute},
        ctx.clock, limits::kSearchBuckets);
    if (!opened.ok()) return Fail(opened.status());
    search_limiter = std::move(*opened);
    ctx.search_limiter = search_limiter.get();
  }
  // Without workers this process writes no audit rows, but still answers GET /api/v1/audit.
  std::unique_ptr<AuditLog> audit_reader;
  if (ctx.audit == nullptr) {
    auto opened = OpenAuditLog(config.database_url);
    if (!opened.ok()) return Fail(opened.status());
    audit_reader = std::move(*opened);
    ctx.audit = audit_reader.get();
  }
  api::UploadPreflight preflight(PreflightOptionsFor(config, not_configured), ctx.router,
                                 ctx.ledger, ctx.clock);
  ctx.preflight = &preflight;
  // With the local parser, uploads are checked by the same sandboxed helper at once.
  if (config.parse_mode == "local") {
    pdf::HelperOptions helper;
    helper.sandbox = config.pdf_sandbox;
    ctx.count_pages = [helper](const std::string& path) {
      return pdf::CountPages(path, pdf::PageCountLimits(), helper);
    };
  }
  if (!config.pdf_sandbox) {
    log::Warn("INGESTD_PDF_SANDBOX=off: the PDF helper parses without its sandbox (rlimits only)",
              {});
  }
  // Completion callbacks: every serve process delivers from the shared outbox (claims are
  // leased, so processes on one database never send the same row at once).
  std::unique_ptr<http::CurlHttpClient> callback_http;
  std::unique_ptr<api::CallbackDeliverer> callbacks;
  if (config.api.callbacks_enabled) {
    callback_http = std::make_unique<http::CurlHttpClient>();
    callbacks = std::make_unique<api::CallbackDeliverer>(config.callbacks, store,
                                                         callback_http.get(), ctx.clock);
    callbacks->Start();
  }
  std::vector<api::Route> routes = api::ApiRoutes();
#ifdef INGESTD_TEST_ROUTES
  for (api::Route& r : TestRoutes(env)) routes.push_back(std::move(r));
#endif
  // The server reports every request; gauges are read from their sources at each scrape.
  metrics::HttpMetrics http_metrics(&metrics.registry());
  metrics::SearchMetrics search_metrics(&metrics.registry());
  ctx.search_observer = &search_metrics;
  metrics::RegisterScrapeGauges(&metrics, {.store = store,
                                           .clock = ctx.clock,
                                           .ledger = ctx.ledger,
                                           .router = ctx.router,
                                           .audit = pipeline ? pipeline->audit_writer() : nullptr,
                                           .search_index = search.index.get(),
                                           .spans = spans.exporter()});
  ctx.metrics_exposition = [&metrics] { return metrics.Exposition(); };
  api::ApiRouter router(&ctx, std::move(routes));
  api::HttpServer server(config.http, &router, &http_metrics);
  if (Status s = server.Listen(); !s.ok()) return Fail(s);
  std::string base = "http://" + config.http.host + ":" + std::to_string(server.port());
  if (ctx.options.public_url.empty()) ctx.options.public_url = base;
  server.Start();

  log::Info("ingestd started", {{"url", base},
                                {"workers", with_workers ? config.workers : 0},
                                {"service_mode", config.api.service_mode},
                                {"data_dir", config.data_dir}});
  std::printf("ingestd listening on %s\ndashboard: %s/\n", base.c_str(), base.c_str());
  std::fflush(stdout);

  const int sig = WaitForStopSignal(stop_signals, [&] {
    if (pipeline) (void)pipeline->ReloadKeys();  // a failure is logged; old keys stay
  });
  log::Info("shutting down", {{"signal", sig}});
  if (pipeline) pipeline->StopClaiming();  // nothing new is claimed after the signal
  server.Stop();                           // no new requests; in-flight handlers finish
  // In-flight stages finish within INGESTD_DRAIN_MS, or stop between provider requests and
  // give their jobs back.
  if (pipeline) pipeline->Stop();
  if (callbacks) callbacks->Stop();  // its claimed rows are left to their leases
  log::Info("stopped");
  return 0;
}

}  // namespace ingestd::cli
