// Builds the services and the worker pool that `ingestd serve` runs, from the Config.
#pragma once

#include <memory>

#include "blob/blob_store.h"
#include "cli/alerts_setup.h"
#include "cli/batch_setup.h"
#include "cli/config.h"
#include "cli/provider_access.h"
#include "cli/settings_setup.h"
#include "ledger/ledger.h"
#include "ledger/reservation_keeper.h"
#include "metrics/metrics.h"
#include "metrics/pipeline_metrics.h"
#include "metrics/provider_metrics.h"
#include "pipeline/worker_pool.h"
#include "services/llamaparse_parser.h"
#include "services/router/health_prober.h"
#include "services/router/service_router.h"
#include "store/store.h"

namespace ingestd::cli {

// Owns the cost ledger, the service router (the parser and embedder the workers share), the
// chunker, and the pool itself (none when config.workers is 0).
class Pipeline {
 public:
  ~Pipeline();
  void Notify() {
    if (pool_) pool_->Notify();
  }
  // Shutdown: StopClaiming at the signal, Stop (drain, then cancel) once the API is down.
  void StopClaiming() {
    if (pool_) pool_->StopClaiming();
  }
  void Stop() {
    if (pool_) pool_->Stop();
  }
  // Null when budgets are not enforced (PostgreSQL store).
  Ledger* ledger() { return ledger_.get(); }
  ServiceRouter* router() { return router_.get(); }
  // The alerts this process raised and (on SQLite) every other process on the file.
  AlertLog* alert_log() { return alerts_->log(); }
  // The provider key rings (health: key ids and states) and the audit log of paid calls.
  const KeyRegistry* keys() const { return access_.keys.get(); }
  AuditLog* audit_log() { return access_.audit_log.get(); }
  const AsyncAuditWriter* audit_writer() const { return access_.audit.get(); }
  // SIGHUP: rereads the key sources (a failure keeps the old keys and is logged).
  Status ReloadKeys() { return access_.keys->ReloadAll(); }
  // Live mode switching of this process's router (PUT /api/v1/services/{service}/mode).
  ModeController* modes() { return modes_.controller.get(); }

 private:
  friend Result<std::unique_ptr<Pipeline>> StartPipeline(const Config&, Store*, BlobStore*,
                                                         metrics::Metrics*);
  Pipeline() = default;

  // Keys and the audit writer the real clients use: destroyed after the router and pool.
  ProviderAccess access_;
  // With metrics: what the clients audit passes these on its way to access_.audit, and the
  // stages, decisions and alerts below report to pipeline_metrics_. Outlive their callers.
  std::unique_ptr<metrics::ProviderMetrics> provider_metrics_;
  std::unique_ptr<metrics::PipelineMetrics> pipeline_metrics_;
  // Hears the ledger, router and workers below, so it is destroyed after them.
  std::unique_ptr<AlertSystem> alerts_;
  // Where the real parser records its LlamaParse jobs; outlives the router that uses it.
  std::unique_ptr<ProviderJobRecorder> parse_jobs_;
  std::unique_ptr<Ledger> ledger_;
  // Extends the router's reservations of calls in progress; outlives the router.
  std::unique_ptr<ReservationKeeper> keeper_;
  std::unique_ptr<ServiceRouter> router_;
  std::unique_ptr<HealthProber> prober_;  // probes router_'s real services; stops first
  LiveModes modes_;                       // switches router_; stops polling before router_ goes
  std::unique_ptr<Chunker> chunker_;
  // The Batch API batcher and its queue: used by the pool's embed stages, so it outlives them.
  BatchSetup batch_;
  std::unique_ptr<WorkerPool> pool_;
};

// store and blobs (and metrics, when given) must outlive the returned pipeline. With metrics,
// provider calls, stages, jobs finished, routing decisions and alerts are counted there.
Result<std::unique_ptr<Pipeline>> StartPipeline(const Config& config, Store* store,
                                                BlobStore* blobs,
                                                metrics::Metrics* metrics = nullptr);

}  // namespace ingestd::cli
