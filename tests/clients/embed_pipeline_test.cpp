// Full pipeline runs of `ingestd serve` with EMBED_MODE=real against the in-process fake
// OpenAI server: jobs complete with exactly the provider's vectors, transient faults are
// retried, and a job never completes with missing or invalid vectors.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/crypto.h"
#include "harness/db_inspector.h"
#include "harness/test_support.h"
#include "store/vector_codec.h"
#include "tests/fakes/fake_llamaparse_server.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::itest {
namespace {

using fakes::EmbedFault;
using fakes::FakeOpenAiServer;

class RealEmbedTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"EMBED_MODE", "real"},
            // These tests count the provider's requests; probes are tested on their own.
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
            {"OPENAI_BASE_URL", fake_.base_url()},
            {"INGESTD_MAX_ATTEMPTS", "2"},
            {"INGESTD_RETRY_BASE_MS", "100"},
            {"INGESTD_RETRY_MAX_MS", "200"}};
  }
  int64_t VectorsOf(const json& view) {
    DbInspector db(server_->db_path());
    return db.Count("vectors", "document_id = ?1", {view["document_id"].get<std::string>()});
  }
  void ExpectNoKeyInLogs() {
    EXPECT_EQ(ReadFile(server_->stderr_path()).find(fakes::kOpenAiTestKey), std::string::npos);
  }

  FakeOpenAiServer fake_;
};

TEST_F(RealEmbedTest, JobCompletesWithTheProvidersVectors) {
  const std::string job_id = UploadTaggedFaq("real-1");
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 60000);
  ASSERT_TRUE(done.met) << done.view.dump();

  DbInspector db(server_->db_path());
  const std::string doc = done.view["document_id"];
  auto rows = db.Query(
      "SELECT c.text, v.model, v.dims, lower(hex(v.data)) FROM chunks c JOIN vectors v "
      "ON v.chunk_id = c.id WHERE c.document_id = ?1",
      {doc});
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(static_cast<int64_t>(rows.size()), db.Count("chunks", "document_id = ?1", {doc}));
  for (const auto& r : rows) {
    EXPECT_EQ(r[1], "text-embedding-3-small");
    EXPECT_EQ(r[2], "1536");
    EXPECT_EQ(r[3], HexEncode(EncodeFloat32Le(
                        FakeOpenAiServer::VectorFor("text-embedding-3-small", 1536, r[0]))));
  }
  const auto log = fake_.requests();
  ASSERT_FALSE(log.empty());
  for (const auto& r : log) {
    EXPECT_EQ(r.correlation_id, done.view["correlation_id"]);
    EXPECT_EQ(r.body["encoding_format"], "base64");
  }
  ExpectNoKeyInLogs();
}

TEST_F(RealEmbedTest, TransientFaultsAreRetriedAndTheJobCompletes) {
  fake_.PushFaults({{EmbedFault::kRateLimit, "", "200", ""},
                    {EmbedFault::kUnavailable, "", "", ""},
                    {EmbedFault::kWrongDimension, "", "", ""}});
  const std::string job_id = UploadTaggedFaq("real-2");
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 60000);
  ASSERT_TRUE(done.met) << done.view.dump();
  const auto log = fake_.requests();
  ASSERT_GE(log.size(), 4u);
  EXPECT_EQ(log[0].status, 429);
  EXPECT_EQ(log[1].status, 503);
  EXPECT_GT(VectorsOf(done.view), 0);
}

TEST_F(RealEmbedTest, InvalidVectorsNeverCompleteAJob) {
  std::vector<fakes::FaultSpec> nan(64, {EmbedFault::kNaN, "", "", ""});
  fake_.PushFaults(nan);
  const std::string job_id = UploadTaggedFaq("real-3");
  WaitResult dead = WaitForJob(*client_, token_, job_id, IsSettled, 90000);
  ASSERT_TRUE(dead.met) << dead.view.dump();
  EXPECT_EQ(dead.view["state"], "deadletter") << dead.view.dump();
  EXPECT_EQ(dead.view["last_error"]["code"], "UPSTREAM_BAD_RESPONSE") << dead.view.dump();
  EXPECT_EQ(VectorsOf(dead.view), 0);
}

TEST_F(RealEmbedTest, QuotaDeadLettersWithoutRetrying) {
  fake_.PushFault(EmbedFault::kQuota);
  const std::string job_id = UploadTaggedFaq("real-4");
  WaitResult dead = WaitForJob(*client_, token_, job_id, IsSettled, 60000);
  ASSERT_TRUE(dead.met) << dead.view.dump();
  EXPECT_EQ(dead.view["state"], "deadletter") << dead.view.dump();
  EXPECT_EQ(dead.view["last_error"]["code"], "UPSTREAM_QUOTA") << dead.view.dump();
  EXPECT_EQ(fake_.requests().size(), 1u);
  EXPECT_EQ(VectorsOf(dead.view), 0);
  ExpectNoKeyInLogs();
}

class RealServicesTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "real"},
            // These tests count the provider's requests; probes are tested on their own.
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"EMBED_MODE", "real"},
            {"LLAMAPARSE_API_KEY", "llx-fake-0123456789abcdef"},
            {"LLAMAPARSE_BASE_URL", llamaparse_.base_url()},
            {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
            {"OPENAI_BASE_URL", openai_.base_url()}};
  }
  fakes::FakeLlamaParseServer llamaparse_;
  FakeOpenAiServer openai_;
};

TEST_F(RealServicesTest, RealPdfCompletesThroughBothProviders) {
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", ReadFile(kRFaqPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  const std::string job_id = up.Json()["job_id"];
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 90000);
  ASSERT_TRUE(done.met) << done.view.dump();
  EXPECT_EQ(llamaparse_.uploads_accepted(), 1);
  ASSERT_EQ(llamaparse_.jobs().size(), 1u);
  EXPECT_EQ(llamaparse_.jobs()[0].sha256, Sha256OfFile(kRFaqPdf));  // the stored bytes, from disk
  DbInspector db(server_->db_path());
  const std::string doc = done.view["document_id"];
  auto texts = db.Query("SELECT text FROM chunks WHERE document_id = ?1", {doc});
  ASSERT_FALSE(texts.empty());
  EXPECT_NE(texts[0][0].find("Parsed "), std::string::npos);  // the provider's markdown
  EXPECT_EQ(db.Count("vectors", "document_id = ?1", {doc}), static_cast<int64_t>(texts.size()));
  const auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "PARSE_SUBMITTED"), 1) << Join(codes);
  EXPECT_EQ(ReadFile(server_->stderr_path()).find("llx-fake"), std::string::npos);
}

// A worker without the key of a real mode cannot do anything useful: it refuses to start and
// names the variable. (`serve` starts and refuses uploads with 503 SERVICE_NOT_CONFIGURED:
// tests/integration/preflight_test.cpp.)
TEST(RealEmbedStartup, WorkerWithoutTheKeyFailsAtStartWithAClearError) {
  if (ServerProcess::BinaryPath().empty()) GTEST_SKIP() << "no ingestd binary in this build";
  ServerProcess embed(std::map<std::string, std::string>{{"EMBED_MODE", "real"}});
  embed.UnsetEnv("OPENAI_API_KEY");
  embed.SetCommand({"worker"}, "ingestd worker started");
  const std::string failure = embed.Start(15000);
  EXPECT_NE(failure, "");
  EXPECT_NE(failure.find("OPENAI_API_KEY"), std::string::npos) << failure;
  ServerProcess parse(std::map<std::string, std::string>{{"PARSE_MODE", "real"}});
  parse.SetCommand({"worker"}, "ingestd worker started");
  const std::string parse_failure = parse.Start(15000);
  EXPECT_NE(parse_failure.find("LLAMAPARSE_API_KEY"), std::string::npos) << parse_failure;
}

}  // namespace
}  // namespace ingestd::itest
