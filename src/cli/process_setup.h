// Start-up and shutdown steps shared by the long-running commands (`ingestd serve`,
// `ingestd worker`), so both read the configuration and open the backends the same way.
#pragma once

#include <signal.h>

#include <functional>
#include <memory>

#include "blob/blob_store.h"
#include "cli/config.h"
#include "services/http/curl_http_client.h"
#include "store/store.h"

namespace ingestd::cli {

// Blocks SIGINT, SIGTERM and SIGHUP in this thread and every thread started after it (call
// first) and ignores SIGPIPE. Returns the set WaitForStopSignal waits on.
sigset_t BlockStopSignals();
// Waits for SIGINT or SIGTERM; returns the signal. Each SIGHUP meanwhile runs on_hangup
// (reload the provider keys) on this thread and the wait goes on.
int WaitForStopSignal(const sigset_t& stop_signals,
                      const std::function<void()>& on_hangup = nullptr);

// LoadConfig(env), then applies the log level and creates the data directory.
Result<Config> LoadProcessConfig(const EnvLookup& env);

// The store (migrated) and blob store the configuration names.
struct Backends {
  std::unique_ptr<Store> store;
  std::unique_ptr<BlobStore> blobs;
};
// DATABASE_URL picks the store (store_factory.cpp). INGESTD_BLOB_URL picks the blobs: unset
// → <data_dir>/blobs; "postgres://…"/"postgresql://…" → PgBlobStore (local copies under
// <data_dir>/blob-cache); "file:///dir" or a plain directory → FsBlobStore there (a shared
// directory works for many processes: writes are temp file + rename).
Result<Backends> OpenBackends(const Config& config);

// The span export config.otlp asks for (none without an endpoint), installed as the process's
// span sink (core/trace.h) while this lives; destruction uninstalls it, then sends what is
// queued. Declare it before whatever makes spans, so it outlives them.
class SpanExport {
 public:
  explicit SpanExport(const otlp::OtlpOptions& options);
  ~SpanExport();
  SpanExport(const SpanExport&) = delete;
  SpanExport& operator=(const SpanExport&) = delete;
  const otlp::OtlpExporter* exporter() const { return exporter_.get(); }  // null: off

 private:
  http::CurlHttpClient client_;  // untraced: the export's own requests are no spans
  std::unique_ptr<otlp::OtlpExporter> exporter_;
};

// Logs and prints why `command` could not start; returns its exit code (1).
int FailStart(const char* command, const Status& s);

}  // namespace ingestd::cli
