// `ingestd serve` against the fakes for the provider answers of issue 12 §5 and §6: every
// LlamaParse job status (PARTIAL_SUCCESS completes with what was parsed, ERROR and CANCELLED
// dead-letter at once with the provider's reason), 402 out of credits is a quota a hybrid
// route falls back from, and a hybrid embed whose real model is configured to other
// dimensions than the fallback's completes in the fallback's own model space.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "harness/db_inspector.h"
#include "harness/server_process.h"
#include "harness/test_support.h"
#include "tests/fakes/fake_llamaparse_server.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::itest {
namespace {

using fakes::FakeLlamaParseServer;
using fakes::ParseOutcome;

class ParseOutcomeTest : public ServerTest {
 protected:
  virtual std::string ParseMode() const { return "real"; }
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", ParseMode()},
            // These tests count the provider's requests; probes are tested on their own.
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"INGESTD_MAX_ATTEMPTS", "5"},
            {"INGESTD_RETRY_BASE_MS", "50"},
            {"INGESTD_RETRY_MAX_MS", "100"},
            {"LLAMAPARSE_API_KEY", "llx-fake-0123456789abcdef"},
            {"LLAMAPARSE_BASE_URL", llamaparse_.base_url()}};
  }
  std::string Upload(const std::string& tag) {
    HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, tag));
    EXPECT_EQ(up.status, 202) << up.Describe();
    return up.Json().value("job_id", "");
  }

  FakeLlamaParseServer llamaparse_{{.pending_polls = 1}};
};

TEST_F(ParseOutcomeTest, CancelledAndErrorDeadLetterAtOnceWithTheProvidersReason) {
  llamaparse_.PushOutcome(ParseOutcome::kCancelled);
  llamaparse_.PushOutcome(ParseOutcome::kError);
  for (const auto& [tag, code, reason] :
       {std::tuple{"cancelled", "UPSTREAM_PARSE_CANCELLED", "JOB_CANCELLED"},
        std::tuple{"error", "UPSTREAM_PARSE_FAILED", "PDF_IS_BROKEN"}}) {
    const std::string job_id = Upload(tag);
    WaitResult dead = WaitForJob(*client_, token_, job_id, IsSettled, 60000);
    ASSERT_TRUE(dead.met) << dead.view.dump();
    EXPECT_TRUE(IsDeadletter(dead.view)) << dead.view.dump();
    EXPECT_EQ(dead.view["last_error"]["code"], code) << dead.view.dump();
    EXPECT_NE(dead.view["last_error"]["message"].get<std::string>().find(reason), std::string::npos)
        << dead.view.dump();
  }
  ASSERT_EQ(llamaparse_.jobs().size(), 2u);
  for (const auto& job : llamaparse_.jobs()) EXPECT_EQ(job.polls, 2) << job.id;  // PENDING, end
  EXPECT_EQ(llamaparse_.uploads_accepted(), 2);
}

TEST_F(ParseOutcomeTest, PartialSuccessCompletesWithWhatWasParsedAndSettlesItsPages) {
  llamaparse_.PushOutcome(ParseOutcome::kPartialSuccess);
  const std::string job_id = Upload("partial");
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 60000);
  ASSERT_TRUE(done.met) << done.view.dump();
  const json events = GetEvents(*client_, token_, job_id);
  const auto partial = std::find_if(events.begin(), events.end(),
                                    [](const json& e) { return e["code"] == "PARSE_PARTIAL"; });
  ASSERT_NE(partial, events.end()) << events.dump();
  EXPECT_EQ((*partial)["payload"]["pages"], FakeLlamaParseServer::kPartialPages);
  EXPECT_EQ(llamaparse_.billed_pages(), FakeLlamaParseServer::kPartialPages);
  // cost_effective: 3 credits a page at $1.25 / 1000 credits.
  EXPECT_EQ(done.view["actual_cost"]["parse_nanos"],
            FakeLlamaParseServer::kPartialPages * 3 * 1'250'000)
      << done.view.dump();
  DbInspector db(server_->db_path());
  const std::string doc = done.view["document_id"];
  EXPECT_EQ(db.Query("SELECT page_count FROM documents WHERE id = ?1", {doc}).at(0).at(0),
            std::to_string(FakeLlamaParseServer::kPartialPages));
  auto texts = db.Query("SELECT text FROM chunks WHERE document_id = ?1", {doc});
  ASSERT_FALSE(texts.empty());
  EXPECT_NE(texts[0][0].find("Parsed "), std::string::npos);  // the provider's pages
}

class HybridParseOutcomeTest : public ParseOutcomeTest {
 protected:
  std::string ParseMode() const override { return "hybrid"; }
};

TEST_F(HybridParseOutcomeTest, OutOfCreditsFallsBackInsteadOfFailingTheJob) {
  llamaparse_.SetOutage(fakes::UploadFault::kOutOfCredits);
  const std::string job_id = Upload("no-credits");
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 60000);
  ASSERT_TRUE(done.met) << done.view.dump();
  EXPECT_EQ(done.view["stage_routes"]["parse"]["implementation"], "local") << done.view.dump();
  EXPECT_EQ(done.view["stage_routes"]["parse"]["fallback_reason"], "real_failed:UPSTREAM_QUOTA")
      << done.view.dump();
  EXPECT_EQ(llamaparse_.uploads_accepted(), 0);
  EXPECT_EQ(llamaparse_.requests_seen(), 1);  // a quota is not retried
}

class HybridEmbedDimensionsTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"EMBED_MODE", "hybrid"},
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
            {"OPENAI_BASE_URL", openai_.base_url()},
            {"OPENAI_EMBED_DIMENSIONS", "512"}};
  }
  // (model, dims) of every vector of the job's document.
  std::set<std::pair<std::string, std::string>> VectorSpaces(const json& view) {
    DbInspector db(server_->db_path());
    std::set<std::pair<std::string, std::string>> spaces;
    for (const auto& r : db.Query("SELECT model, dims FROM vectors WHERE document_id = ?1",
                                  {view["document_id"].get<std::string>()})) {
      spaces.insert({r[0], r[1]});
    }
    return spaces;
  }
  fakes::FakeOpenAiServer openai_;
};

TEST_F(HybridEmbedDimensionsTest, AFallbackJobCompletesInTheFallbacksOwnModelSpace) {
  openai_.SetOutage(fakes::EmbedFault::kUnavailable);
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, "down"));
  ASSERT_EQ(up.status, 202) << up.Describe();
  WaitResult done = WaitForJob(*client_, token_, up.Json()["job_id"], IsComplete, 90000);
  ASSERT_TRUE(done.met) << done.view.dump();
  EXPECT_EQ(VectorSpaces(done.view),
            (std::set<std::pair<std::string, std::string>>{{"ingestd-hash-v1@1024", "1024"}}));

  openai_.SetOutage(fakes::EmbedFault::kNone);
  up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, "up"));
  ASSERT_EQ(up.status, 202) << up.Describe();
  done = WaitForJob(*client_, token_, up.Json()["job_id"], IsComplete, 90000);
  ASSERT_TRUE(done.met) << done.view.dump();
  EXPECT_EQ(VectorSpaces(done.view),
            (std::set<std::pair<std::string, std::string>>{{"text-embedding-3-small@512", "512"}}));
}

TEST(ProviderConfigStartup, AdaWithDimensionsRefusesToStart) {
  if (ServerProcess::BinaryPath().empty()) GTEST_SKIP() << "no ingestd binary in this build";
  ServerProcess server(
      std::map<std::string, std::string>{{"EMBED_MODE", "real"},
                                         {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
                                         {"OPENAI_EMBED_MODEL", "text-embedding-ada-002"},
                                         {"OPENAI_EMBED_DIMENSIONS", "512"}});
  const std::string failure = server.Start(15000);
  EXPECT_NE(failure.find("BAD_CONFIG"), std::string::npos) << failure;
  EXPECT_NE(failure.find("OPENAI_EMBED_DIMENSIONS"), std::string::npos) << failure;
}

}  // namespace
}  // namespace ingestd::itest
