// Traces: W3C Trace Context ids (https://www.w3.org/TR/trace-context/ §3.2 traceparent,
// §3.3 tracestate), spans, and the span that is current on a thread.
//
// A request's span is the child of the client's traceparent (or the root of a trace whose
// id is derived from the correlation id); a job's stages are children of the span that
// created the job (stored with the job, so another process continues the same trace); an
// outbound call is a child of the span current on its thread. Log lines written while a
// span is current carry its trace_id and span_id (log.h).
//
// Finished spans go to the process-wide SpanSink (the OTLP exporter, src/trace) when one is
// set and the trace is sampled; with no sink a span costs two ids and a clock read.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace ingestd::trace {

struct SpanContext {
  std::string trace_id;    // 32 lower-case hex digits, not all zero
  std::string span_id;     // 16 lower-case hex digits; "" for the root of a trace
  std::string tracestate;  // passed through as received; "" when none
  bool sampled = true;     // trace-flags bit 0
};

// The context a traceparent header carries, or nullopt when it is absent or invalid (a
// fresh trace then starts, as §4.3 asks): version ff; a version other than 00 that is
// shorter than 55 characters or whose 56th is not '-'; version 00 that is not exactly 55;
// any field of the wrong length or with a character other than lower-case hex; an all-zero
// trace id or parent id. tracestate is kept only with a valid traceparent and at most 512
// characters (§3.3.1.1 lets a receiver drop a longer one).
std::optional<SpanContext> ParseTraceparent(std::string_view traceparent,
                                            std::string_view tracestate);
// "00-<trace_id>-<span_id>-<01|00>". Requires a span id.
std::string FormatTraceparent(const SpanContext& context);
// The trace id of an upload whose client sent no valid traceparent: the correlation id
// itself when it is 32 hex digits (then it came from a traceparent; lower-cased), else the
// first 16 bytes of its SHA-256, so every process derives the same one.
std::string TraceIdFor(std::string_view correlation_id);
// The parent of work done for a stored job: its traceparent column when valid, else the
// root of the trace derived from its correlation id (jobs stored before traces).
SpanContext ParentOf(std::string_view traceparent, std::string_view tracestate,
                     std::string_view correlation_id);
std::string NewSpanId();  // 16 random lower-case hex digits, not all zero

// OTLP's Span.SpanKind values.
enum class SpanKind { kInternal = 1, kServer = 2, kClient = 3 };

struct SpanData {
  std::string trace_id, span_id, parent_span_id, tracestate;
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  nlohmann::json attributes = nlohmann::json::object();  // string, integer or bool values
  bool error = false;
  std::string status_message;  // set with error
};

// Receives every finished, sampled span. Called on the thread that ended the span, from
// many threads at once: must be thread-safe and must never block.
class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void OnEnd(SpanData span) = 0;
};

// The process-wide sink; nullptr (the default) exports nothing. The caller keeps the sink
// alive until it has set nullptr again.
void SetSpanSink(SpanSink* sink);

// One operation. Ends (and goes to the sink) at End() or destruction, whichever is first.
// Not thread-safe: one thread uses a span at a time.
class Span {
 public:
  // A child of parent (a remote, stored or local context; a parent without a span id makes
  // this span the root of parent's trace).
  Span(std::string name, SpanKind kind, const SpanContext& parent);
  // A child of the span current on this thread, or the root of a new trace.
  Span(std::string name, SpanKind kind);
  ~Span();
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  void SetName(std::string name) { data_.name = std::move(name); }
  void SetAttribute(const std::string& key, nlohmann::json value);
  void SetError(std::string message);
  void End();
  const SpanContext& context() const { return context_; }

 private:
  SpanContext context_;
  SpanData data_;
  bool ended_ = false;
};

// Makes a span current on this thread until destruction (then the previous one is again):
// log lines carry its ids, Span(name, kind) and outbound calls become its children, and
// MarkCurrentError reaches it.
class ScopedSpan {
 public:
  explicit ScopedSpan(Span& span);
  ~ScopedSpan();
  ScopedSpan(const ScopedSpan&) = delete;
  ScopedSpan& operator=(const ScopedSpan&) = delete;

 private:
  Span* previous_;
};

// The context of the span current on this thread, or nullptr.
const SpanContext* CurrentContext();
// Marks the span current on this thread (if any) as failed with message.
void MarkCurrentError(std::string message);

}  // namespace ingestd::trace
