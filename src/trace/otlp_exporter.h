// OtlpExporter: the SpanSink (core/trace.h) that sends finished spans to an OpenTelemetry
// collector over OTLP/HTTP with JSON bodies: POST {endpoint}/v1/traces, Content-Type
// application/json (opentelemetry-proto docs/specification.md "OTLP/HTTP").
//
// A span that ends is queued (bounded: when the queue is full the span is dropped and
// counted; ending a span never blocks or sends). One thread sends batches: when a batch is
// full, or flush_interval_ms after the oldest queued span, and what is left at Shutdown.
// Failures follow the specification's "Retryable Response Codes" and "Throttling": 429,
// 502, 503, 504 and transport errors are retried with exponential backoff and jitter, after
// at least the Retry-After a response asks for; any other status drops the batch. A batch
// that still fails is dropped and counted, as are spans a collector reports rejected
// (partialSuccess.rejectedSpans). Once Shutdown begins nothing is retried or waited for:
// each remaining batch gets one attempt (a hung collector holds it up to timeouts.total_ms).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/trace.h"
#include "services/http/http_client.h"
#include "services/http/retry_env.h"

namespace ingestd::otlp {

struct OtlpOptions {
  // The collector's base URL (OTEL_EXPORTER_OTLP_ENDPOINT style): spans go to
  // {endpoint}/v1/traces.
  std::string endpoint;
  std::string service_name = "ingestd";  // resource attribute service.name
  // Spans waiting to be sent; beyond it a span is dropped. Bounds memory while a collector
  // is slow or down (2,048 spans ~ 2 MB).
  size_t max_queue = 2048;
  size_t max_batch = 512;            // spans per request
  int64_t flush_interval_ms = 2000;  // the longest a span waits for a full batch
  http::HttpTimeouts timeouts{.connect_ms = 2'000, .total_ms = 10'000};
  // Tries per batch, the first included, with this backoff between them; the cap is the
  // longest Retry-After honoured (retry_hints.h), so every hint is waited out in full.
  int max_attempts = 5;
  BackoffPolicy backoff{
      .base_delay_ms = 1'000, .max_delay_ms = 120'000, .multiplier = 2.0, .jitter = Jitter::kEqual};
};

struct ExportCounts {
  int64_t exported = 0;     // spans the collector accepted
  int64_t dropped = 0;      // spans lost: queue full, export failed, or rejected
  int64_t queue_depth = 0;  // spans waiting now
};

struct OtlpDeps {
  http::HttpClient* client = nullptr;  // required; not owned (an untraced client)
  http::RetryEnv* env = nullptr;       // null: sleeps that Shutdown cuts short
  const Clock* clock = nullptr;        // null: SystemClock (HTTP-date Retry-After)
};

class OtlpExporter final : public trace::SpanSink {
 public:
  // Starts the sending thread.
  OtlpExporter(OtlpOptions options, OtlpDeps deps);
  ~OtlpExporter() override;  // Shutdown()
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  void OnEnd(trace::SpanData span) override;
  // Sends what is queued (one attempt per batch) and stops the thread. Spans ended later
  // are dropped. Idempotent.
  void Shutdown();
  ExportCounts counts() const;

 private:
  class StopAwareEnv;
  void Run();
  // Sends one batch, retrying until max_attempts or Shutdown; returns the spans it lost.
  int64_t Send(const std::vector<trace::SpanData>& batch);
  bool Stopping() const;

  const OtlpOptions options_;
  const std::string url_;
  OtlpDeps deps_;
  std::unique_ptr<StopAwareEnv> own_env_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<trace::SpanData> queue_;  // guarded by mu_
  bool stopping_ = false;              // guarded by mu_
  int64_t exported_ = 0;               // guarded by mu_
  int64_t dropped_ = 0;                // guarded by mu_
  std::thread thread_;
};

}  // namespace ingestd::otlp
