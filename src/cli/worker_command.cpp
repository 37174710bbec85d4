// `ingestd worker`: pipeline workers only, no HTTP API — for scaling the workers apart from
// the API servers (`ingestd serve --no-workers`) on a shared store (PostgreSQL) and shared
// blobs. INGESTD_WORKERS threads claim jobs; SIGTERM/SIGINT stop them gracefully (in-flight
// stages finish or hand their jobs back). Prints "ingestd worker started" once running.
#include <cstdio>

#include "cli/commands.h"
#include "cli/pipeline_setup.h"
#include "cli/process_setup.h"
#include "core/log.h"

namespace ingestd::cli {

int RunWorker(const Args& args) {
  if (!args.empty()) {
    std::fprintf(stderr, "usage: ingestd worker\n");
    return 2;
  }
  const sigset_t stop_signals = BlockStopSignals();
  auto config = LoadProcessConfig(ProcessEnv());
  if (!config.ok()) return FailStart("worker", config.status());
  // Unlike serve (which starts and refuses uploads), a worker without keys has nothing to do.
  if (Status s = CheckServiceKeys(*config); !s.ok()) return FailStart("worker", s);
  if (config->workers < 1) {
    return FailStart(
        "worker",
        Status::InvalidArgument("BAD_CONFIG", "INGESTD_WORKERS must be at least 1 for a worker"));
  }
  const SpanExport spans(config->otlp);  // outlives the pipeline, whose stages make spans
  auto backends = OpenBackends(*config);
  if (!backends.ok()) return FailStart("worker", backends.status());
  auto pipeline = StartPipeline(*config, backends->store.get(), backends->blobs.get());
  if (!pipeline.ok()) return FailStart("worker", pipeline.status());

  log::Info("ingestd worker started",
            {{"workers", config->workers}, {"service_mode", config->api.service_mode}});
  std::printf("ingestd worker started\n");
  std::fflush(stdout);

  const int sig = WaitForStopSignal(stop_signals, [&] {
    (void)(*pipeline)->ReloadKeys();  // a failure is logged; the old keys stay
  });
  log::Info("shutting down", {{"signal", sig}});
  (*pipeline)->Stop();  // stages finish within INGESTD_DRAIN_MS, or stop and give jobs back
  log::Info("stopped");
  return 0;
}

}  // namespace ingestd::cli
