#include "cli/process_setup.h"

#include <cstdio>
#include <filesystem>
#include <string_view>

#include "blob/pg_blob_store.h"
#include "core/log.h"
#include "core/trace.h"

namespace ingestd::cli {
namespace {

log::Level ParseLevel(const std::string& s) {
  if (s == "debug") return log::Level::kDebug;
  if (s == "warn") return log::Level::kWarn;
  if (s == "error") return log::Level::kError;
  return log::Level::kInfo;
}

Result<std::unique_ptr<BlobStore>> OpenBlobs(const Config& config) {
  namespace fs = std::filesystem;
  const std::string_view url = config.blob_url;
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    auto store =
        PgBlobStore::Open(config.blob_url, (fs::path(config.data_dir) / "blob-cache").string());
    if (!store.ok()) return store.status();
    return std::unique_ptr<BlobStore>(std::move(*store));
  }
  std::string dir = (fs::path(config.data_dir) / "blobs").string();
  if (url.starts_with("file://")) {
    dir = std::string(url.substr(std::string_view("file://").size()));
  } else if (!url.empty()) {
    dir = config.blob_url;
  }
  return OpenFsBlobStore(dir);
}

}  // namespace

sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

int WaitForStopSignal(const sigset_t& stop_signals, const std::function<void()>& on_hangup) {
  for (;;) {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (sig != SIGHUP) return sig;
    log::Info("SIGHUP: reloading provider keys");
    if (on_hangup) on_hangup();
  }
}

Result<Config> LoadProcessConfig(const EnvLookup& env) {
  auto config = LoadConfig(env);
  if (!config.ok()) return config.status();
  log::SetMinLevel(ParseLevel(config->log_level));
  std::error_code ec;
  std::filesystem::create_directories(config->data_dir, ec);
  if (ec) return Status::Internal("DATA_DIR", "cannot create " + config->data_dir);
  return config;
}

Result<Backends> OpenBackends(const Config& config) {
  Backends b;
  auto store = OpenStore(config.database_url);
  if (!store.ok()) return store.status();
  if (Status s = (*store)->Migrate(); !s.ok()) return s;
  b.store = std::move(*store);
  auto blobs = OpenBlobs(config);
  if (!blobs.ok()) return blobs.status();
  b.blobs = std::move(*blobs);
  return b;
}

SpanExport::SpanExport(const otlp::OtlpOptions& options) {
  if (options.endpoint.empty()) return;
  exporter_ = std::make_unique<otlp::OtlpExporter>(options, otlp::OtlpDeps{&client_});
  trace::SetSpanSink(exporter_.get());
  log::Info("span export on", {{"endpoint", options.endpoint}});
}

SpanExport::~SpanExport() {
  if (!exporter_) return;
  trace::SetSpanSink(nullptr);
  exporter_->Shutdown();
  const otlp::ExportCounts counts = exporter_->counts();
  log::Info("span export stopped",
            {{"spans_exported", counts.exported}, {"spans_dropped", counts.dropped}});
}

int FailStart(const char* command, const Status& s) {
  log::Error(std::string("ingestd ") + command + " failed to start",
             {{"code", s.code()}, {"error", s.message()}});
  std::fprintf(stderr, "ingestd %s: %s\n", command, s.ToString().c_str());
  return 1;
}

}  // namespace ingestd::cli
