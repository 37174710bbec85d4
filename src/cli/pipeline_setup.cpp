#include "cli/pipeline_setup.h"

#include "cli/alerts_setup.h"
#include "cli/ledger_setup.h"
#include "cli/service_factory.h"
#include "cli/settings_setup.h"
#include "pipeline/llamaparse_job_events.h"
#include "text/markdown_token_chunker.h"

namespace ingestd::cli {
namespace {

Result<ServiceOptions> ServiceOptionsFor(const std::string& fault_spec) {
  ServiceOptions options;
  if (fault_spec.empty()) return options;
  auto faults = ParseFaultSpec(fault_spec);
  if (!faults.ok()) return faults.status();
  options.faults = *faults;
  return options;
}

// Registers the implementations the configured modes serve with (hybrid: the real one and
// its fallback) and routes over them. Fallbacks are recorded as job events.
Result<std::unique_ptr<ServiceRouter>> BuildRouter(
    const Config& config, const ServiceOptions& parse_options, const ServiceOptions& embed_options,
    Clock* clock, Ledger* ledger, ReservationKeeper* keeper, Store* store, PipelineAlerts* alerts,
    metrics::PipelineMetrics* counted) {
  RouterOptions options;
  auto parse_mode = ParseServiceMode(config.parse_mode);
  if (!parse_mode.ok()) return parse_mode.status();
  auto embed_mode = ParseServiceMode(config.embed_mode);
  if (!embed_mode.ok()) return embed_mode.status();
  options.parse_mode = *parse_mode;
  options.embed_mode = *embed_mode;
  options.breaker = config.breaker;
  options.prices = config.ledger.prices;
  options.count_tokens = ExactEmbedTokens(embed_options.openai.max_input_tokens);
  options.keeper = keeper;

  ServiceImpls impls;
  // Every implementation an operator may switch to at run time (live mode switching), not
  // only the configured modes': mock and local always, real when its client can be built
  // (it has keys). Only a configured mode's own implementation must build.
  for (const char* name : {"mock", "local", "real"}) {
    auto parser = MakeParser(name, parse_options);
    if (parser.ok()) {
      impls.parsers[name] = std::move(parser.value());
    } else if (std::string_view(name) != "real" || ServiceRoute::IsPaid(*parse_mode)) {
      return parser.status();
    }
  }
  for (const char* name : {"mock", "local", "real"}) {
    auto embedder = MakeEmbedder(name, embed_options);
    if (embedder.ok()) {
      impls.embedders[name] = std::move(embedder.value());
    } else if (std::string_view(name) != "real" || ServiceRoute::IsPaid(*embed_mode)) {
      return embedder.status();
    }
  }
  options.on_breaker = [alerts](const BreakerEvent& e) { alerts->OnBreaker(e); };
  DecisionSink sink = [store, clock, alerts, counted](const RouteDecision& d) {
    alerts->OnDecision(d);
    if (counted) counted->OnDecision(d);
    if (d.job_id.empty()) return;
    // On the job: its actual cost, fallback flag and stage routes (best effort, like the
    // event below: the decision is logged either way).
    (void)store->RecordRoute(
        d.job_id,
        {d.service, d.mode, d.implementation, d.reason, d.fallback_triggered, d.cost_nanos},
        clock->NowMillis());
    if (!d.fallback_triggered) return;
    Event e;
    e.job_id = d.job_id;
    e.correlation_id = d.correlation_id;
    e.type = "retry";
    e.code = "FALLBACK_TRIGGERED";
    e.stage = d.service;
    e.payload = {{"implementation", d.implementation}, {"reason", d.reason}, {"mode", d.mode}};
    e.at_ms = clock->NowMillis();
    (void)store->AppendEvent(e);  // best effort: the decision is logged either way
  };
  return ServiceRouter::Create(std::move(options), std::move(impls), clock, ledger,
                               std::move(sink));
}

}  // namespace

Pipeline::~Pipeline() {
  if (pool_) pool_->Stop();
}

Result<std::unique_ptr<Pipeline>> StartPipeline(const Config& config, Store* store,
                                                BlobStore* blobs, metrics::Metrics* metrics) {
  auto parse_options = ServiceOptionsFor(config.parse_faults);
  if (!parse_options.ok()) return parse_options.status();
  parse_options->pdf_sandbox = config.pdf_sandbox;
  parse_options->pdf_sandbox_probes = config.pdf_sandbox_probes;
  auto embed_options = ServiceOptionsFor(config.embed_faults);
  if (!embed_options.ok()) return embed_options.status();
  if (!embed_options->faults.abort_filename.empty()) {
    return Status::InvalidArgument(
        "BAD_CONFIG", "INGESTD_MOCK_EMBED_FAULTS: abort:FILENAME is for the parser only");
  }
  embed_options->openai = OpenAiConfigFrom(config);
  embed_options->local_embed_dims = config.local_embed_dims;

  std::unique_ptr<Pipeline> p(new Pipeline());
  Clock* clock = SystemClock::Default();
  parse_options->llamaparse.api_key = config.llamaparse_api_key;
  parse_options->llamaparse.base_url = config.llamaparse_base_url;
  parse_options->llamaparse.tier = config.llamaparse_tier;
  parse_options->llamaparse.job_timeout_ms = config.llamaparse_job_timeout_ms;
  // A worker never waits on LlamaParse: a pending parse parks the job (parse_submitted).
  parse_options->llamaparse.park_pending = true;
  // Webhooks only with an explicit public URL; otherwise polling alone (the default).
  parse_options->llamaparse.webhook_base_url = config.api.public_url;
  parse_options->llamaparse.webhook_master_secret = config.api.upload_secret;
  p->parse_jobs_ = std::make_unique<EventJobRecorder>(store, clock);
  parse_options->parse_jobs = p->parse_jobs_.get();
  auto access = OpenProviderAccess(config, store, clock);
  if (!access.ok()) return access.status();
  p->access_ = std::move(*access);
  p->access_.ApplyTo(&*parse_options);
  p->access_.ApplyTo(&*embed_options);
  metrics::PipelineMetrics* counted = nullptr;
  std::function<void(const Alert&)> on_alert;
  if (metrics && p->access_.audit) {
    p->provider_metrics_ =
        std::make_unique<metrics::ProviderMetrics>(&metrics->registry(), p->access_.audit.get());
    parse_options->audit = embed_options->audit = p->provider_metrics_.get();
  }
  if (metrics) {
    p->pipeline_metrics_ = std::make_unique<metrics::PipelineMetrics>(&metrics->registry());
    counted = p->pipeline_metrics_.get();
    on_alert = [counted](const Alert& a) { counted->OnAlert(a); };
  }
  auto alerts = StartAlerts(config, clock, store, std::move(on_alert));
  if (!alerts.ok()) return alerts.status();
  p->alerts_ = std::move(alerts.value());
  PipelineAlerts* pipeline_alerts = p->alerts_->pipeline();
  auto ledger = OpenLedger(config, clock, store, [pipeline_alerts](const LedgerAlert& a) {
    pipeline_alerts->OnLedgerAlert(a);
  });
  if (!ledger.ok()) return ledger.status();
  p->ledger_ = std::move(ledger.value());
  p->keeper_ = std::make_unique<ReservationKeeper>(p->ledger_.get(), clock,
                                                   config.ledger.reservation_timeout_ms);
  p->keeper_->Start();
  auto router = BuildRouter(config, *parse_options, *embed_options, clock, p->ledger_.get(),
                            p->keeper_.get(), store, pipeline_alerts, counted);
  if (!router.ok()) return router.status();
  p->router_ = std::move(router.value());
  p->prober_ =
      std::make_unique<HealthProber>(p->router_->ProbeTargets(), clock, config.probe_interval_ms);
  p->prober_->Start();
  // Live mode switching: the persisted modes replace the configured ones before any call,
  // and switches made anywhere reach this router within INGESTD_SETTINGS_POLL_MS.
  auto modes = StartLiveModes(config, clock, p->router_.get());
  if (!modes.ok()) return modes.status();
  p->modes_ = std::move(*modes);
  auto chunker = MarkdownTokenChunker::Create(
      {.max_tokens = config.chunk_max_tokens, .overlap_tokens = config.chunk_overlap_tokens});
  if (!chunker.ok()) return chunker.status();
  p->chunker_ = std::move(chunker.value());
  // No workers (serve --no-workers): the ledger and router alone, for upload pre-flight.
  if (config.workers == 0) return p;

  PipelineOptions options;
  options.workers = config.workers;
  options.lease_ms = config.lease_ms;
  options.drain_ms = config.drain_ms;
  options.max_attempts = config.max_attempts;
  options.backoff.base_delay_ms = config.retry_base_ms;
  options.backoff.max_delay_ms = config.retry_max_ms;
  options.embed_cache = config.embed_cache;
  options.embed_cache_max_vectors = config.embed_cache_max_vectors;
  options.batch_below_priority = config.batch_below_priority;
  // A remote embedder packs each call into requests of up to 2048 inputs / 300k tokens:
  // give it enough texts per call to fill them (2048 is the most the options allow) whenever
  // the embed service can be switched to it.
  if (p->router_->CheckMode("embed", ServiceMode::kReal).ok()) options.embed_batch_size = 2048;
  options.on_job_finished = [pipeline_alerts, counted](const Job& job, bool dead_lettered) {
    pipeline_alerts->OnJobFinished(job, dead_lettered);
    if (counted) counted->OnJobFinished(dead_lettered);
  };
  if (counted) {
    options.on_stage_done = [counted](std::string_view stage, int64_t ms) {
      counted->OnStageDone(stage, ms);
    };
  }
  if (Status s = ValidatePipelineOptions(options); !s.ok()) return s;

  PipelineDeps deps{store, blobs, p->router_->parser(), p->router_->embedder(), p->chunker_.get(),
                    clock};
  deps.embed_price = [prices = config.ledger.prices](const std::string& model, int64_t tokens) {
    return prices.EmbedCost(model, tokens);
  };
  auto batch = StartBatcher(config, *embed_options, store, p->ledger_.get(), clock);
  if (!batch.ok()) return batch.status();
  p->batch_ = std::move(*batch);
  deps.batches = p->batch_.queue.get();
  p->pool_ = std::make_unique<WorkerPool>(deps, options);
  p->pool_->Start();
  return p;
}

}  // namespace ingestd::cli
