#include "core/trace.h"

#include <gtest/gtest.h>

#include <vector>

namespace ingestd::trace {
namespace {

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// Collects ended spans (the tests run on one thread).
class VectorSink final : public SpanSink {
 public:
  VectorSink() { SetSpanSink(this); }
  ~VectorSink() override { SetSpanSink(nullptr); }
  void OnEnd(SpanData span) override { spans.push_back(std::move(span)); }
  std::vector<SpanData> spans;
};

TEST(Traceparent, AValidVersion00HeaderIsParsedWithItsTracestate) {
  auto c = ParseTraceparent(kValid, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(c->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(c->tracestate, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_TRUE(c->sampled);
  EXPECT_EQ(FormatTraceparent(*c), kValid);
  auto unsampled = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "");
  ASSERT_TRUE(unsampled.has_value());
  EXPECT_FALSE(unsampled->sampled);
}

TEST(Traceparent, InvalidHeadersAreRefusedSoAFreshTraceStarts) {
  const std::vector<std::string> invalid = {
      "",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // version ff is invalid
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // version not hex
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // all-zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // all-zero parent id
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",    // trace id 31 digits
      "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01",  // trace id 33 digits
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",    // parent id 15 digits
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // upper-case hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",    // flags one digit
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z",   // flags not hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // version 00 with more
      "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",   // wrong separators
      "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // later version, no dash
  };
  for (const std::string& tp : invalid) {
    EXPECT_FALSE(ParseTraceparent(tp, "a=b").has_value()) << tp;
  }
}

TEST(Traceparent, ALaterVersionIsReadByItsVersion00Fields) {
  auto c =
      ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-next", "");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_TRUE(ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""));
}

TEST(Traceparent, AnOverlongTracestateIsDroppedAndTheParentKept) {
  auto c = ParseTraceparent(kValid, std::string(513, 'a'));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->tracestate, "");
}

TEST(TraceIdFor, IsTheCorrelationIdWhenItIsATraceIdElseAStableHash) {
  EXPECT_EQ(TraceIdFor("4BF92F3577B34DA6A3CE929D0E0E4736"), "4bf92f3577b34da6a3ce929d0e0e4736");
  const std::string derived = TraceIdFor("req-123");
  EXPECT_EQ(derived.size(), 32u);
  EXPECT_EQ(derived, TraceIdFor("req-123"));
  EXPECT_NE(derived, TraceIdFor("req-124"));
  EXPECT_NE(TraceIdFor(std::string(32, '0')), std::string(32, '0'));
}

TEST(ParentOf, AStoredTraceparentWinsElseTheCorrelationIdsTraceRoot) {
  SpanContext stored = ParentOf(kValid, "k=v", "cid");
  EXPECT_EQ(stored.span_id, "00f067aa0ba902b7");
  EXPECT_EQ(stored.tracestate, "k=v");
  SpanContext derived = ParentOf("", "", "cid");
  EXPECT_EQ(derived.trace_id, TraceIdFor("cid"));
  EXPECT_EQ(derived.span_id, "");
}

TEST(Span, ChildrenOfTheCurrentSpanShareItsTraceAndNameItTheirParent) {
  VectorSink sink;
  const SpanContext remote = *ParseTraceparent(kValid, "k=v");
  {
    Span request("request", SpanKind::kServer, remote);
    ScopedSpan active(request);
    EXPECT_EQ(CurrentContext(), &request.context());
    Span a("a", SpanKind::kClient);
    Span b("b", SpanKind::kClient);
    EXPECT_NE(a.context().span_id, b.context().span_id);
    MarkCurrentError("boom");
  }
  EXPECT_EQ(CurrentContext(), nullptr);
  ASSERT_EQ(sink.spans.size(), 3u);  // b, a, then request
  const SpanData& request = sink.spans[2];
  EXPECT_EQ(request.parent_span_id, "00f067aa0ba902b7");
  EXPECT_TRUE(request.error);
  EXPECT_EQ(request.status_message, "boom");
  for (const SpanData& s : sink.spans) {
    EXPECT_EQ(s.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(s.tracestate, "k=v");
    EXPECT_LE(s.start_unix_nanos, s.end_unix_nanos);
  }
  EXPECT_EQ(sink.spans[0].parent_span_id, request.span_id);
  EXPECT_EQ(sink.spans[1].parent_span_id, request.span_id);
}

TEST(Span, WithoutACurrentSpanARootOfANewTraceStartsAndUnsampledTracesAreNotExported) {
  VectorSink sink;
  { Span lone("probe", SpanKind::kClient); }
  ASSERT_EQ(sink.spans.size(), 1u);
  EXPECT_EQ(sink.spans[0].parent_span_id, "");
  EXPECT_EQ(sink.spans[0].trace_id.size(), 32u);
  {
    Span quiet("quiet", SpanKind::kServer,
               *ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", ""));
  }
  EXPECT_EQ(sink.spans.size(), 1u);
}

}  // namespace
}  // namespace ingestd::trace
