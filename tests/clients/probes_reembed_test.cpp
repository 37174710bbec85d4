// `ingestd serve` in HYBRID embed mode against the fake OpenAI server, then `ingestd
// reembed`: free health probes open the breaker with no job at all and close it once the
// service recovers; vectors a fallback made are replaced by the real model's, atomically
// per document, through the ledger (a budget refusal stops with nothing half-done), with
// the fake's request log as the audit.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "core/crypto.h"
#include "harness/db_inspector.h"
#include "harness/server_process.h"
#include "harness/test_support.h"
#include "store/vector_codec.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::itest {
namespace {

using fakes::EmbedFault;
using fakes::FakeOpenAiServer;

constexpr char kReal[] = "text-embedding-3-small";
constexpr char kFallback[] = "ingestd-hash-v1@1024";  // the local embedder

struct CommandResult {
  int exit_code = -1;
  std::vector<json> lines;  // stdout, one JSON value a line
  std::string stderr_text;
};

class HybridProbeTest : public ServerTest {
 protected:
  virtual int64_t OpenMs() const { return 400; }
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"EMBED_MODE", "hybrid"},
            {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
            {"OPENAI_BASE_URL", fake_.base_url()},
            {"INGESTD_PROBE_INTERVAL_MS", "50"},
            {"INGESTD_BREAKER_FAILURES", "2"},
            {"INGESTD_BREAKER_OPEN_MS", std::to_string(OpenMs())}};
  }
  json EmbedHealth() {
    HttpResponse r = client_->Get("/api/v1/services/health");
    EXPECT_EQ(r.status, 200) << r.Describe();
    const json body = r.Json();
    for (const json& s : body["services"]) {
      if (s["service"] == "embed") return s;
    }
    return json();
  }
  // Polls the health endpoint until the embed breaker is in `state` (up to 15 s).
  json WaitForBreaker(const std::string& state) {
    json h;
    for (int i = 0; i < 300; ++i) {
      h = EmbedHealth();
      if (h["breaker"]["state"] == state) return h;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "breaker never " << state << ": " << h.dump();
    return h;
  }
  int PostsToEmbeddings() {
    int n = 0;
    for (const auto& r : fake_.requests()) n += r.method == "POST";
    return n;
  }
  // Runs `ingestd reembed args` on the server's data directory.
  CommandResult Reembed(const std::string& args, const std::string& extra_env = "") {
    const std::string out_path = server_->root_dir() + "/reembed.out";
    const std::string err_path = server_->root_dir() + "/reembed.err";
    const std::string cmd = "env -i PATH=/usr/bin:/bin INGESTD_DATA_DIR=" + server_->data_dir() +
                            " INGESTD_JWT_SECRET=" + kTestJwtSecret +
                            " INGESTD_LOG_LEVEL=warn OPENAI_API_KEY=" + fakes::kOpenAiTestKey +
                            " OPENAI_BASE_URL=" + fake_.base_url() + " " + extra_env + " " +
                            ServerProcess::BinaryPath() + " reembed " + args + " >" + out_path +
                            " 2>" + err_path;
    const int status = std::system(cmd.c_str());
    CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.lines = ReadJsonLines(out_path);
    r.stderr_text = ReadFile(err_path);
    return r;
  }
  // Uploads n documents while the fake is down and waits until each job completes on the
  // fallback's vectors; returns the document ids.
  std::vector<std::string> UploadDuringOutage(int n) {
    fake_.SetOutage(EmbedFault::kUnavailable);
    WaitForBreaker("open");
    std::vector<std::string> docs;
    for (int i = 0; i < n; ++i) {
      HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf",
                                      TaggedPdf(kRFaqPdf, "reembed-" + std::to_string(i)));
      EXPECT_EQ(up.status, 202) << up.Describe();
      WaitResult done =
          WaitForJob(*client_, token_, up.Json().value("job_id", ""), IsComplete, 60000);
      EXPECT_TRUE(done.met) << done.view.dump();
      docs.push_back(done.view.value("document_id", ""));
    }
    return docs;
  }
  std::map<std::string, int64_t> ModelCounts(DbInspector& db) {
    std::map<std::string, int64_t> out;
    for (const auto& row : db.Query("SELECT model, count(*) FROM vectors GROUP BY model", {})) {
      out[row[0]] = std::stoll(row[1]);
    }
    return out;
  }

  FakeOpenAiServer fake_;
};

TEST_F(HybridProbeTest, ProbesOpenTheBreakerWithoutAnyJobAndCloseItOnRecovery) {
  fake_.SetOutage(EmbedFault::kUnavailable);
  json open = WaitForBreaker("open");
  EXPECT_EQ(open["implementation"], "local");  // hybrid serves from the fallback now
  ASSERT_TRUE(open["last_probe"].is_object()) << open.dump();
  EXPECT_FALSE(open["last_probe"]["ok"].get<bool>());
  EXPECT_EQ(open["last_probe"]["error_code"], "UPSTREAM_UNAVAILABLE");
  EXPECT_TRUE(IsRfc3339Utc(open["last_probe"]["at"]));
  EXPECT_GE(open["last_probe"]["latency_ms"].get<int64_t>(), 0);
  EXPECT_EQ(open["primary_calls"], 0);
  EXPECT_EQ(open["fallback_calls"], 0);
  EXPECT_EQ(open["recent_calls"], 0);  // probes are not calls

  fake_.SetOutage(EmbedFault::kNone);
  json closed = WaitForBreaker("closed");
  EXPECT_EQ(closed["implementation"], "real");
  EXPECT_TRUE(closed["last_probe"]["ok"].get<bool>());
  EXPECT_TRUE(closed["last_probe"]["error_code"].is_null());
  // Only free model lookups reached the provider: nothing embedded, nothing billed.
  ASSERT_FALSE(fake_.requests().empty());
  for (const auto& r : fake_.requests()) {
    EXPECT_EQ(r.method + " " + r.target, "GET /v1/models/text-embedding-3-small");
  }
}

class ReembedTest : public HybridProbeTest {
 protected:
  int64_t OpenMs() const override { return 600'000; }  // stays open: jobs use the fallback
};

TEST_F(ReembedTest, FallbackVectorsAreReplacedByTheRealModelsPerDocument) {
  const std::vector<std::string> docs = UploadDuringOutage(2);
  DbInspector db(server_->db_path());
  const int64_t chunks = db.Count("chunks", "1 = 1", {});
  ASSERT_GT(chunks, 0);
  EXPECT_EQ(ModelCounts(db), (std::map<std::string, int64_t>{{kFallback, chunks}}));
  fake_.SetOutage(EmbedFault::kNone);
  const int posts_before = PostsToEmbeddings();

  // Dry run: the candidates and their counts, no call, no change.
  CommandResult dry = Reembed("--dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.stderr_text;
  ASSERT_EQ(dry.lines.size(), 3u) << dry.stderr_text;
  EXPECT_EQ(dry.lines[2]["summary"]["documents"], 2);
  EXPECT_EQ(dry.lines[2]["summary"]["chunks"], chunks);
  EXPECT_EQ(dry.lines[0]["from_models"], json::array({kFallback}));
  EXPECT_EQ(PostsToEmbeddings(), posts_before);
  EXPECT_EQ(ModelCounts(db), (std::map<std::string, int64_t>{{kFallback, chunks}}));

  // One document at a time: the first run leaves exactly one document fully real.
  CommandResult first = Reembed("--limit 1");
  ASSERT_EQ(first.exit_code, 0) << first.stderr_text;
  ASSERT_EQ(first.lines.size(), 2u);
  EXPECT_TRUE(first.lines[1]["summary"]["more"].get<bool>());
  for (const std::string& doc : docs) {
    auto models = db.Query("SELECT DISTINCT model FROM vectors WHERE document_id = ?1", {doc});
    EXPECT_EQ(models.size(), 1u) << "document " << doc << " holds a mix of models";
  }
  CommandResult rest = Reembed("");
  ASSERT_EQ(rest.exit_code, 0) << rest.stderr_text;
  ASSERT_EQ(rest.lines.size(), 2u);
  EXPECT_EQ(first.lines[0]["chunks"].get<int64_t>() + rest.lines[0]["chunks"].get<int64_t>(),
            chunks);

  // Only the real model's vectors remain, exactly the provider's, one per chunk.
  EXPECT_EQ(ModelCounts(db), (std::map<std::string, int64_t>{{kReal, chunks}}));
  for (const auto& r : db.Query("SELECT c.text, lower(hex(v.data)) FROM chunks c JOIN vectors v ON "
                                "v.chunk_id = c.id",
                                {})) {
    EXPECT_EQ(r[1], HexEncode(EncodeFloat32Le(FakeOpenAiServer::VectorFor(kReal, 1536, r[0]))));
  }
  // Audit: each run's embeddings requests carry the correlation id it reported, and
  // together they embedded every chunk once.
  std::set<std::string> reported = {first.lines[0]["correlation_id"],
                                    rest.lines[0]["correlation_id"]};
  size_t inputs = 0;
  for (const auto& r : fake_.requests()) {
    if (r.method != "POST" || r.status != 200) continue;
    EXPECT_TRUE(reported.count(r.correlation_id)) << r.correlation_id;
    inputs += r.inputs;
  }
  EXPECT_EQ(static_cast<int64_t>(inputs), chunks);
  EXPECT_EQ(db.Count("events", "code = 'VECTORS_REEMBEDDED'", {}), 2);
  // Nothing left to do.
  CommandResult again = Reembed("");
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.lines.back()["summary"]["documents"], 0);
}

TEST_F(ReembedTest, ABudgetRefusalStopsWithNothingHalfDone) {
  UploadDuringOutage(1);
  fake_.SetOutage(EmbedFault::kNone);
  DbInspector db(server_->db_path());
  const auto before = ModelCounts(db);
  const int posts_before = PostsToEmbeddings();
  CommandResult r = Reembed("", "INGESTD_BUDGET_EMBED_DAILY_USD=0.000000001");
  EXPECT_EQ(r.exit_code, 3) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("budget"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("(BUDGET_"), std::string::npos) << r.stderr_text;  // the code
  EXPECT_NE(r.stderr_text.find("0 document(s) were re-embedded"), std::string::npos);
  EXPECT_EQ(ModelCounts(db), before);
  EXPECT_EQ(PostsToEmbeddings(), posts_before);  // refused before any paid call
}

}  // namespace
}  // namespace ingestd::itest
