#include "core/trace.h"

#include <atomic>
#include <chrono>

#include "core/crypto.h"

namespace ingestd::trace {
namespace {

constexpr size_t kTraceparentLength = 55;  // "00-" 32 "-" 16 "-" 2
constexpr size_t kMaxTracestate = 512;

std::atomic<SpanSink*> g_sink{nullptr};
thread_local Span* t_current = nullptr;

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsAllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

bool IsId(std::string_view s, size_t length) {
  return s.size() == length && IsLowerHex(s) && !IsAllZero(s);
}

int64_t NowUnixNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<SpanContext> ParseTraceparent(std::string_view tp, std::string_view tracestate) {
  if (tp.size() < kTraceparentLength) return std::nullopt;
  const std::string_view version = tp.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  // Version 00 has exactly four fields; a later version may append more after a '-'.
  if (version == "00" ? tp.size() != kTraceparentLength
                      : tp.size() > kTraceparentLength && tp[kTraceparentLength] != '-') {
    return std::nullopt;
  }
  if (tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  const std::string_view trace_id = tp.substr(3, 32);
  const std::string_view parent_id = tp.substr(36, 16);
  const std::string_view flags = tp.substr(53, 2);
  if (!IsId(trace_id, 32) || !IsId(parent_id, 16) || !IsLowerHex(flags)) return std::nullopt;
  SpanContext c;
  c.trace_id = std::string(trace_id);
  c.span_id = std::string(parent_id);
  c.sampled = (std::stoi(std::string(flags), nullptr, 16) & 1) != 0;
  if (tracestate.size() <= kMaxTracestate) c.tracestate = std::string(tracestate);
  return c;
}

std::string FormatTraceparent(const SpanContext& c) {
  return "00-" + c.trace_id + "-" + c.span_id + (c.sampled ? "-01" : "-00");
}

std::string TraceIdFor(std::string_view correlation_id) {
  std::string lower(correlation_id);
  for (char& ch : lower) {
    if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
  }
  if (IsId(lower, 32)) return lower;
  return Sha256Hex(correlation_id).substr(0, 32);
}

SpanContext ParentOf(std::string_view traceparent, std::string_view tracestate,
                     std::string_view correlation_id) {
  if (auto parsed = ParseTraceparent(traceparent, tracestate)) return *parsed;
  return SpanContext{TraceIdFor(correlation_id), "", "", true};
}

std::string NewSpanId() {
  for (;;) {
    std::string id = HexEncode(RandomBytes(8));
    if (!IsAllZero(id)) return id;
  }
}

void SetSpanSink(SpanSink* sink) { g_sink.store(sink, std::memory_order_release); }

Span::Span(std::string name, SpanKind kind, const SpanContext& parent) {
  context_ = parent;
  context_.span_id = NewSpanId();
  data_.trace_id = context_.trace_id;
  data_.span_id = context_.span_id;
  data_.parent_span_id = parent.span_id;
  data_.tracestate = parent.tracestate;
  data_.name = std::move(name);
  data_.kind = kind;
  data_.start_unix_nanos = NowUnixNanos();
}

Span::Span(std::string name, SpanKind kind)
    : Span(std::move(name), kind,
           t_current ? t_current->context()
                     : SpanContext{HexEncode(RandomBytes(16)), "", "", true}) {}

Span::~Span() { End(); }

void Span::SetAttribute(const std::string& key, nlohmann::json value) {
  data_.attributes[key] = std::move(value);
}

void Span::SetError(std::string message) {
  data_.error = true;
  data_.status_message = std::move(message);
}

void Span::End() {
  if (ended_) return;
  ended_ = true;
  SpanSink* sink = g_sink.load(std::memory_order_acquire);
  if (sink == nullptr || !context_.sampled) return;
  data_.end_unix_nanos = NowUnixNanos();
  sink->OnEnd(std::move(data_));
}

ScopedSpan::ScopedSpan(Span& span) : previous_(t_current) { t_current = &span; }

ScopedSpan::~ScopedSpan() { t_current = previous_; }

const SpanContext* CurrentContext() { return t_current ? &t_current->context() : nullptr; }

void MarkCurrentError(std::string message) {
  if (t_current) t_current->SetError(std::move(message));
}

}  // namespace ingestd::trace
