#include "trace/otlp_exporter.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "services/http/retry_env.h"
#include "trace/otlp_json.h"

namespace ingestd::otlp {
namespace {

using nlohmann::json;

// Answers from a script (the last answer repeats) and records every request; a test waits
// for the n-th request as an event.
class CollectorClient final : public http::HttpClient {
 public:
  explicit CollectorClient(std::vector<http::HttpResponse> script)
      : script_(script.begin(), script.end()) {}
  std::vector<Result<http::HttpResponse>> SendAll(std::span<const http::HttpRequest> requests,
                                                  const http::HttpTimeouts&) override {
    std::lock_guard lock(mu_);
    std::vector<Result<http::HttpResponse>> out;
    for (const http::HttpRequest& r : requests) {
      sent_.push_back(r);
      out.push_back(script_.front());
      if (script_.size() > 1) script_.pop_front();
    }
    arrived_.notify_all();
    return out;
  }
  // Waits until n requests arrived (a deadlock guard only: the event is the request).
  std::vector<http::HttpRequest> AwaitRequests(size_t n) {
    std::unique_lock lock(mu_);
    arrived_.wait_for(lock, std::chrono::seconds(60), [&] { return sent_.size() >= n; });
    return sent_;
  }

 private:
  std::mutex mu_;
  std::condition_variable arrived_;
  std::deque<http::HttpResponse> script_;
  std::vector<http::HttpRequest> sent_;
};

trace::SpanData MakeSpan(const std::string& name) {
  trace::SpanData s;
  s.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  s.span_id = "00f067aa0ba902b7";
  s.parent_span_id = "1111111111111111";
  s.name = name;
  s.kind = trace::SpanKind::kClient;
  s.start_unix_nanos = 1'700'000'000'000'000'000;
  s.end_unix_nanos = 1'700'000'000'500'000'000;
  s.attributes = {{"http.response.status_code", 200}, {"ok", true}, {"path", "/v1/embeddings"}};
  return s;
}

OtlpOptions Options() {
  OtlpOptions o;
  o.endpoint = "http://collector:4318/";
  o.flush_interval_ms = 3'600'000;  // only full batches and Shutdown send
  return o;
}

TEST(OtlpJson, EncodesOneResourceOneScopeAndTheSpansAsTheProtoJsonMappingSays) {
  trace::SpanData failed = MakeSpan("b");
  failed.parent_span_id.clear();
  failed.tracestate = "k=v";
  failed.error = true;
  failed.status_message = "503";
  json body = EncodeExport({MakeSpan("a"), failed}, "ingestd-test");
  const json& rs = body["resourceSpans"][0];
  EXPECT_EQ(rs["resource"]["attributes"][0],
            json({{"key", "service.name"}, {"value", {{"stringValue", "ingestd-test"}}}}));
  const json& spans = rs["scopeSpans"][0]["spans"];
  EXPECT_EQ(rs["scopeSpans"][0]["scope"]["name"], "ingestd");
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0]["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(spans[0]["spanId"], "00f067aa0ba902b7");
  EXPECT_EQ(spans[0]["parentSpanId"], "1111111111111111");
  EXPECT_EQ(spans[0]["kind"], 3);
  EXPECT_EQ(spans[0]["startTimeUnixNano"], "1700000000000000000");
  EXPECT_EQ(spans[0]["endTimeUnixNano"], "1700000000500000000");
  EXPECT_FALSE(spans[0].contains("status"));
  json attrs = json::object();
  for (const json& kv : spans[0]["attributes"]) attrs[kv["key"].get<std::string>()] = kv["value"];
  EXPECT_EQ(attrs["http.response.status_code"], json({{"intValue", "200"}}));
  EXPECT_EQ(attrs["ok"], json({{"boolValue", true}}));
  EXPECT_EQ(attrs["path"], json({{"stringValue", "/v1/embeddings"}}));
  EXPECT_FALSE(spans[1].contains("parentSpanId"));
  EXPECT_EQ(spans[1]["traceState"], "k=v");
  EXPECT_EQ(spans[1]["status"], json({{"code", 2}, {"message", "503"}}));
}

TEST(OtlpJson, ReadsRejectedSpansOfAPartialSuccess) {
  EXPECT_EQ(RejectedSpans(R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"x"}})"), 3);
  EXPECT_EQ(RejectedSpans(R"({"partialSuccess":{"rejectedSpans":2}})"), 2);
  EXPECT_EQ(RejectedSpans("{}"), 0);
  EXPECT_EQ(RejectedSpans(""), 0);
  EXPECT_EQ(RejectedSpans(R"({"partialSuccess":{"rejectedSpans":"-1"}})"), 0);
}

TEST(OtlpExporter, AFullQueueDropsAndCountsAndShutdownSendsTheRest) {
  CollectorClient client({http::HttpResponse{200, {}, "{}"}});
  OtlpOptions o = Options();
  o.max_queue = 2;
  OtlpExporter exporter(o, {&client, nullptr, nullptr});
  for (const char* name : {"a", "b", "c", "d", "e"}) exporter.OnEnd(MakeSpan(name));
  EXPECT_EQ(exporter.counts().dropped, 3);
  EXPECT_EQ(exporter.counts().queue_depth, 2);
  exporter.Shutdown();
  std::vector<http::HttpRequest> sent = client.AwaitRequests(1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_EQ(sent[0].url, "http://collector:4318/v1/traces");
  EXPECT_EQ(sent[0].headers, http::Headers({{"Content-Type", "application/json"}}));
  json body = json::parse(sent[0].body);
  EXPECT_EQ(body["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 2u);
  EXPECT_EQ(exporter.counts().exported, 2);
  EXPECT_EQ(exporter.counts().queue_depth, 0);
  exporter.OnEnd(MakeSpan("late"));
  EXPECT_EQ(exporter.counts().dropped, 4);
}

TEST(OtlpExporter, AFullBatchGoesAtOnceAndA503IsRetriedAfterItsRetryAfter) {
  CollectorClient client({http::HttpResponse{503, {{"retry-after", "7"}}, ""},
                          http::HttpResponse{429, {}, ""}, http::HttpResponse{200, {}, "{}"}});
  http::FakeRetryEnv env;
  OtlpOptions o = Options();
  o.max_batch = 2;
  OtlpExporter exporter(o, {&client, &env, nullptr});
  exporter.OnEnd(MakeSpan("a"));
  exporter.OnEnd(MakeSpan("b"));  // a full batch wakes the sender
  ASSERT_EQ(client.AwaitRequests(3).size(), 3u);
  exporter.Shutdown();
  ASSERT_EQ(env.sleeps().size(), 2u);
  EXPECT_GE(env.sleeps()[0], 7000);  // the collector's Retry-After, at least
  EXPECT_EQ(exporter.counts().exported, 2);
  EXPECT_EQ(exporter.counts().dropped, 0);
}

TEST(OtlpExporter, ANonRetryableStatusDropsTheBatchAndARejectionIsCounted) {
  CollectorClient client(
      {http::HttpResponse{400, {}, ""},
       http::HttpResponse{200, {}, R"({"partialSuccess":{"rejectedSpans":"1"}})"}});
  http::FakeRetryEnv env;
  OtlpOptions o = Options();
  o.max_batch = 2;
  OtlpExporter exporter(o, {&client, &env, nullptr});
  exporter.OnEnd(MakeSpan("a"));
  exporter.OnEnd(MakeSpan("b"));
  client.AwaitRequests(1);
  exporter.OnEnd(MakeSpan("c"));
  exporter.OnEnd(MakeSpan("d"));
  client.AwaitRequests(2);
  exporter.Shutdown();
  EXPECT_TRUE(env.sleeps().empty());
  EXPECT_EQ(exporter.counts().dropped, 3);  // the 400's two, and the one rejected
  EXPECT_EQ(exporter.counts().exported, 1);
}

}  // namespace
}  // namespace ingestd::otlp
