// Traces on a running `ingestd serve` (issue 14 §2), against the fake LlamaParse and OpenAI
// and a fake OTLP collector (tests/fakes/fake_otlp_collector.h):
// - every provider request carries a W3C traceparent (version 00) whose trace id is the
//   upload's, a new span id per request, and the client's tracestate;
// - every log line about the job names that trace and a span;
// - the spans of one upload reach the collector as ONE tree, also when the job is run by
//   another process than the one that accepted it;
// - with the collector down, ingestd keeps serving and counts the spans it drops.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cstdio>
#include <map>
#include <set>

#include "harness/test_support.h"
#include "tests/fakes/fake_llamaparse_server.h"
#include "tests/fakes/fake_openai_server.h"
#include "tests/fakes/fake_otlp_collector.h"

namespace ingestd::itest {
namespace {

using fakes::CollectedSpan;

constexpr char kTraceId[] = "0af7651916cd43dd8448eb211c80319c";
constexpr char kClientSpan[] = "b7ad6b7169203331";
constexpr char kTracestate[] = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
constexpr char kLlamaKey[] = "llx-fake-0123456789abcdef";

Headers ClientTrace() {
  return {{"traceparent", std::string("00-") + kTraceId + "-" + kClientSpan + "-01"},
          {"tracestate", kTracestate}};
}

// A W3C traceparent of version 00 (https://www.w3.org/TR/trace-context/ §3.2): its trace id
// and parent id, or nullopt when it is not one.
std::optional<std::pair<std::string, std::string>> ParseTraceparent(const std::string& tp) {
  auto hex_id = [&](size_t at, size_t n) {
    const std::string id = tp.substr(at, n);
    return id.find_first_not_of("0123456789abcdef") == std::string::npos &&
           id != std::string(n, '0');
  };
  if (tp.size() != 55 || !tp.starts_with("00-") || tp[35] != '-' || tp[52] != '-' ||
      !hex_id(3, 32) || !hex_id(36, 16) || (tp.substr(53) != "01" && tp.substr(53) != "00")) {
    return std::nullopt;
  }
  return std::make_pair(tp.substr(3, 32), tp.substr(36, 16));
}

// The value of an unlabelled sample `name` in a Prometheus exposition, or -1.
double Sample(const std::string& exposition, const std::string& name) {
  const size_t at = exposition.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + name.size() + 2));
}

std::vector<CollectedSpan> OfTrace(const std::vector<CollectedSpan>& spans,
                                   const std::string& trace_id) {
  std::vector<CollectedSpan> out;
  for (const CollectedSpan& s : spans) {
    if (s.trace_id == trace_id) out.push_back(s);
  }
  return out;
}

// The spans form one tree: ids unique, exactly one root (a span whose parent is not among
// them), and that root is the child of root_parent (the client's span). Returns the root.
CollectedSpan ExpectOneTree(const std::vector<CollectedSpan>& spans,
                            const std::string& root_parent) {
  std::map<std::string, const CollectedSpan*> by_id;
  for (const CollectedSpan& s : spans) {
    EXPECT_TRUE(by_id.emplace(s.span_id, &s).second) << "span id twice: " << s.span_id;
  }
  std::vector<const CollectedSpan*> roots;
  for (const CollectedSpan& s : spans) {
    if (!by_id.contains(s.parent_span_id)) roots.push_back(&s);
  }
  EXPECT_EQ(roots.size(), 1u);
  for (const CollectedSpan* r : roots) {
    EXPECT_EQ(r->parent_span_id, root_parent) << r->name;
  }
  return roots.empty() ? CollectedSpan{} : *roots.front();
}

std::multiset<std::string> Names(const std::vector<CollectedSpan>& spans) {
  std::multiset<std::string> names;
  for (const CollectedSpan& s : spans) names.insert(s.name);
  return names;
}

// Every traceparent the fakes received for the job: valid, of trace_id, each span id new.
std::vector<std::string> ProviderSpanIds(const fakes::FakeLlamaParseServer& llama,
                                         const fakes::FakeOpenAiServer& openai,
                                         const std::string& trace_id,
                                         const std::string& tracestate) {
  std::vector<std::pair<std::string, std::string>> sent;  // traceparent, tracestate
  for (const auto& r : llama.requests()) sent.emplace_back(r.traceparent, r.tracestate);
  for (const auto& r : openai.requests()) sent.emplace_back(r.traceparent, r.tracestate);
  std::vector<std::string> ids;
  std::set<std::string> distinct;
  for (const auto& [tp, ts] : sent) {
    auto parsed = ParseTraceparent(tp);
    if (!parsed) {
      ADD_FAILURE() << "not a version-00 traceparent: '" << tp << "'";
      continue;
    }
    EXPECT_EQ(parsed->first, trace_id) << tp;
    EXPECT_EQ(ts, tracestate) << tp;
    EXPECT_TRUE(distinct.insert(parsed->second).second) << "span id sent twice: " << tp;
    ids.push_back(parsed->second);
  }
  return ids;
}

class TraceTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "real"},
            {"EMBED_MODE", "real"},
            {"LLAMAPARSE_API_KEY", kLlamaKey},
            {"LLAMAPARSE_BASE_URL", llama_.base_url()},
            {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
            {"OPENAI_BASE_URL", openai_.base_url()},
            {"OPENAI_EMBED_REQUEST_INPUTS", "1"},  // one request per chunk,
            {"INGESTD_CHUNK_MAX_TOKENS", "32"},    // and several chunks
            {"INGESTD_CHUNK_OVERLAP_TOKENS", "0"},
            {"INGESTD_PROBE_INTERVAL_MS", "0"},  // only the job's calls reach the fakes
            {"INGESTD_OTLP_ENDPOINT", collector_.endpoint()}};
  }

  // Stops the server: its exporter sends what is queued before the process exits.
  void StopAndExpectCleanExports() {
    ASSERT_EQ(server_->Stop(), 0);
    EXPECT_TRUE(collector_.problems().empty()) << Join(collector_.problems());
  }

  fakes::FakeLlamaParseServer llama_;
  fakes::FakeOpenAiServer openai_;
  fakes::FakeOtlpCollector collector_;
};

TEST_F(TraceTest, ProvidersGetTheUploadsTraceAndTheCollectorGetsOneTree) {
  HttpResponse r =
      UploadOneShot(*client_, token_, "a.pdf", TaggedPdf(kRFaqPdf, "trace-1"), ClientTrace());
  ASSERT_EQ(r.status, 202) << r.Describe();
  const std::string job_id = r.Json()["job_id"];
  ASSERT_TRUE(WaitForJob(*client_, token_, job_id, IsComplete).met);

  const std::vector<std::string> provider_spans =
      ProviderSpanIds(llama_, openai_, kTraceId, kTracestate);
  EXPECT_GE(provider_spans.size(), 4u);  // upload, status poll(s), result, embeddings
  size_t embeddings = 0;
  for (const auto& q : openai_.requests()) embeddings += q.target == "/v1/embeddings";
  EXPECT_GE(embeddings, 2u);

  // Every log line about the job names the trace and a span.
  int job_lines = 0;
  for (const json& line : ReadJsonLines(server_->stderr_path())) {
    if (line.value("job_id", "") != job_id) continue;
    ++job_lines;
    EXPECT_EQ(line.value("trace_id", ""), kTraceId) << line.dump();
    EXPECT_EQ(line.value("span_id", "").size(), 16u) << line.dump();
  }
  EXPECT_GE(job_lines, 5);

  StopAndExpectCleanExports();
  const std::vector<CollectedSpan> spans = OfTrace(collector_.spans(), kTraceId);
  const CollectedSpan root = ExpectOneTree(spans, kClientSpan);
  EXPECT_EQ(root.name, "POST /api/v1/documents");
  EXPECT_EQ(root.kind, 2);  // SERVER
  EXPECT_EQ(root.service_name, "ingestd");
  const std::multiset<std::string> names = Names(spans);
  for (const char* want :
       {"stage parse", "stage validate", "stage chunk", "stage embed", "stage finalize",
        "ledger reserve", "ledger settle", "POST /api/v1/parsing/upload", "POST /v1/embeddings"}) {
    EXPECT_TRUE(names.contains(want)) << want;
  }
  // Each traceparent a provider received is a CLIENT span in the tree, a child of a stage.
  std::map<std::string, CollectedSpan> by_id;
  for (const CollectedSpan& s : spans) by_id[s.span_id] = s;
  for (const std::string& id : provider_spans) {
    ASSERT_TRUE(by_id.contains(id)) << id;
    EXPECT_EQ(by_id[id].kind, 3) << by_id[id].name;
    EXPECT_TRUE(by_id[by_id[id].parent_span_id].name.starts_with("stage ")) << by_id[id].name;
  }
  for (const CollectedSpan& s : spans) {
    if (s.name.starts_with("stage ")) {
      EXPECT_EQ(s.parent_span_id, root.span_id) << s.name;
    }
  }
}

TEST_F(TraceTest, WithoutATraceparentTheTraceIdIsDerivedFromTheCorrelationId) {
  const std::string cid = "itest-trace-derived-1";
  HttpResponse r = UploadOneShot(*client_, token_, "a.pdf", TaggedPdf(kRFaqPdf, "trace-2"),
                                 {{"X-Correlation-ID", cid}});
  ASSERT_EQ(r.status, 202) << r.Describe();
  ASSERT_TRUE(WaitForJob(*client_, token_, r.Json()["job_id"], IsComplete).met);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(cid.data()), cid.size(), digest);
  std::string derived;
  for (int i = 0; i < 16; ++i) {
    char hex[3];
    std::snprintf(hex, sizeof(hex), "%02x", digest[i]);
    derived += hex;
  }
  EXPECT_GE(ProviderSpanIds(llama_, openai_, derived, "").size(), 4u);
  StopAndExpectCleanExports();
  const std::vector<CollectedSpan> spans = OfTrace(collector_.spans(), derived);
  EXPECT_EQ(ExpectOneTree(spans, "").name, "POST /api/v1/documents");
}

TEST_F(TraceTest, AJobRunByAnotherProcessContinuesTheUploadsTrace) {
  server_->Stop();
  server_->SetCommand({"serve", "--no-workers"});
  Restart();
  HttpResponse r =
      UploadOneShot(*client_, token_, "a.pdf", TaggedPdf(kRFaqPdf, "trace-3"), ClientTrace());
  ASSERT_EQ(r.status, 202) << r.Describe();
  const std::string job_id = r.Json()["job_id"];
  StopAndExpectCleanExports();
  EXPECT_TRUE(llama_.requests().empty());  // nothing ran in the accepting process

  server_->SetCommand({"serve"});
  Restart();
  ASSERT_TRUE(WaitForJob(*client_, token_, job_id, IsComplete).met);
  ProviderSpanIds(llama_, openai_, kTraceId, kTracestate);
  StopAndExpectCleanExports();
  const std::vector<CollectedSpan> spans = OfTrace(collector_.spans(), kTraceId);
  const CollectedSpan root = ExpectOneTree(spans, kClientSpan);
  EXPECT_EQ(root.name, "POST /api/v1/documents");
  EXPECT_TRUE(Names(spans).contains("stage finalize"));
}

// A collector that is not there: uploads are served and run as ever, spans are dropped and
// counted in /metrics, and the server stops promptly.
class CollectorDownTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_OTLP_ENDPOINT", "http://127.0.0.1:1"},  // nothing listens on port 1
            {"INGESTD_OTLP_MAX_QUEUE", "1"}};
  }
};

TEST_F(CollectorDownTest, IngestdKeepsServingAndCountsTheDroppedSpans) {
  HttpResponse r =
      UploadOneShot(*client_, token_, "a.pdf", TaggedPdf(kRFaqPdf, "down"), ClientTrace());
  ASSERT_EQ(r.status, 202) << r.Describe();
  ASSERT_TRUE(WaitForJob(*client_, token_, r.Json()["job_id"], IsComplete).met);
  EXPECT_EQ(client_->Get("/health").status, 200);
  const std::string text = client_->Get("/metrics").body;
  EXPECT_GE(Sample(text, "ingestd_trace_spans_dropped_total"), 3) << text;  // a queue of one
  const double depth = Sample(text, "ingestd_trace_export_queue_depth");
  EXPECT_GE(depth, 0) << text;
  EXPECT_LE(depth, 1);
  EXPECT_EQ(Sample(text, "ingestd_trace_spans_exported_total"), 0);
  EXPECT_EQ(server_->Stop(), 0);
}

}  // namespace
}  // namespace ingestd::itest
