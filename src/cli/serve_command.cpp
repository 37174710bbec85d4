// `ingestd serve`: the HTTP API plus pipeline worker threads in one process, on the store
// and blob store named by the configuration. Stops gracefully on SIGTERM/SIGINT.
#include <signal.h>

#include <cstdio>
#include <filesystem>

#include "api/http_server.h"
#include "api/router.h"
#include "blob/blob_store.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/pipeline_setup.h"
#include "core/log.h"
#include "pdf/helper_runner.h"
#include "store/store.h"

namespace ingestd::cli {
namespace {

log::Level ParseLevel(const std::string& s) {
  if (s == "debug") return log::Level::kDebug;
  if (s == "warn") return log::Level::kWarn;
  if (s == "error") return log::Level::kError;
  return log::Level::kInfo;
}

int Fail(const Status& s) {
  log::Error("ingestd serve failed to start", {{"code", s.code()}, {"error", s.message()}});
  std::fprintf(stderr, "ingestd serve: %s\n", s.ToString().c_str());
  return 1;
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
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto env = ProcessEnv();
  auto loaded = LoadConfig(env);
  if (!loaded.ok()) return Fail(loaded.status());
  Config config = std::move(loaded.value());
  log::SetMinLevel(ParseLevel(config.log_level));
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return Fail(Status::Internal("DATA_DIR", "cannot create " + config.data_dir));
  if (Status s = ResolveSecrets(env, &config); !s.ok()) return Fail(s);

  auto store = OpenStore(config.database_url);
  if (!store.ok()) return Fail(store.status());
  if (Status s = (*store)->Migrate(); !s.ok()) return Fail(s);
  auto blobs = OpenFsBlobStore((std::filesystem::path(config.data_dir) / "blobs").string());
  if (!blobs.ok()) return Fail(blobs.status());

  with_workers = with_workers && config.workers > 0;
  std::unique_ptr<Pipeline> pipeline;
  if (with_workers) {
    auto started = StartPipeline(config, store->get(), blobs->get());
    if (!started.ok()) return Fail(started.status());
    pipeline = std::move(started.value());
  }

  api::ApiContext ctx;
  ctx.store = store->get();
  ctx.blobs = blobs->get();
  ctx.clock = SystemClock::Default();
  ctx.options = config.api;
  if (pipeline) ctx.on_job_queued = [p = pipeline.get()] { p->Notify(); };
  // With the local parser, uploads are checked by the same sandboxed helper at once.
  if (config.parse_mode == "local") {
    ctx.count_pages = [](const std::string& path) { return pdf::CountPages(path); };
  }
  api::ApiRouter router(&ctx, api::ApiRoutes());
  api::HttpServer server(config.http, &router);
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

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::Info("shutting down", {{"signal", sig}});
  server.Stop();  // no new requests; in-flight handlers finish
  if (pipeline) pipeline->Stop();  // in-flight stages finish or give their leases back
  log::Info("stopped");
  return 0;
}

}  // namespace ingestd::cli
