// Paid embeddings are done once (issue 12 §4), over the real `ingestd serve` with
// EMBED_MODE=real against the in-process fake OpenAI, its requests kept small
// (OPENAI_EMBED_REQUEST_INPUTS) so that one document takes many of them:
// - the embed stage stores each request's vectors as it returns, so when a request fails
//   (500 through every retry of the client) and the stage is retried, the requests that were
//   answered are not paid for again;
// - SIGTERM during a slow embed: nothing new is claimed, the stage stops between requests
//   after INGESTD_DRAIN_MS and only then gives its job back; the restarted server pays for
//   the rest only.
// Each asserts that the fake billed every chunk's text exactly once and that the ledger
// settled exactly what the fake billed.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <map>

#include "harness/db_inspector.h"
#include "harness/test_support.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::itest {
namespace {

using fakes::EmbedFault;
using fakes::FakeOpenAiServer;

constexpr char kRequestInputs[] = "4";
constexpr double kUsdPerToken = 0.02 / 1e6;  // text-embedding-3-small

class EmbedOnceTest : public ServerTest {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeOpenAiServer>(FakeOptions());
    ServerTest::SetUp();
  }
  virtual fakes::FakeOpenAiOptions FakeOptions() const { return {}; }
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"EMBED_MODE", "real"},
            {"INGESTD_PROBE_INTERVAL_MS", "0"},  // only the pipeline's requests reach the fake
            {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
            {"OPENAI_BASE_URL", fake_->base_url()},
            {"OPENAI_EMBED_REQUEST_INPUTS", kRequestInputs},
            {"INGESTD_WORKERS", "1"},
            {"INGESTD_RETRY_BASE_MS", "100"},
            {"INGESTD_RETRY_MAX_MS", "200"}};
  }
  std::string Upload(const std::string& tag) {
    HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, tag));
    EXPECT_EQ(up.status, 202) << up.Describe();
    return up.Json().value("job_id", "");
  }
  std::vector<std::string> ChunkTexts(const std::string& doc) {
    std::vector<std::string> texts;
    for (const auto& row : DbInspector(server_->db_path())
                               .Query("SELECT text FROM chunks WHERE document_id = ?1", {doc})) {
      texts.push_back(row[0]);
    }
    return texts;
  }
  // How often the fake billed each input text (retries and repeats included).
  std::map<std::string, int> BilledTexts() {
    std::map<std::string, int> billed;
    for (const auto& r : fake_->requests()) {
      if (!r.billed) continue;
      for (const auto& input : r.body["input"]) ++billed[input.get<std::string>()];
    }
    return billed;
  }
  // Every chunk's text billed exactly once, nothing else billed, and the ledger settled it.
  void ExpectEveryChunkBilledOnce(const json& view) {
    const std::vector<std::string> texts = ChunkTexts(view["document_id"]);
    ASSERT_GT(texts.size(), 8u) << "too few chunks for several requests";
    std::map<std::string, int> want;
    for (const auto& t : texts) ++want[t];
    const std::map<std::string, int> billed = BilledTexts();
    int repeats = 0;
    for (const auto& [text, n] : billed) repeats += n - (want.contains(text) ? want.at(text) : 0);
    EXPECT_EQ(repeats, 0) << "texts billed more than once";
    EXPECT_EQ(billed, want);
    DbInspector db(server_->db_path());
    EXPECT_EQ(db.Count("vectors", "document_id = ?1", {view["document_id"].get<std::string>()}),
              static_cast<int64_t>(texts.size()));

    HttpResponse r = client_->Get("/api/v1/costs?group_by=service", token_);
    ASSERT_EQ(r.status, 200) << r.body;
    const json costs = r.Json();
    EXPECT_EQ(costs["open_reservations"], 0) << costs.dump();
    int64_t units = 0;
    double usd = 0;
    for (const json& row : costs["rows"]) {
      if (row["service"] != "embed") continue;
      units += row["units"].get<int64_t>();
      usd += row["cost_usd"].get<double>();
    }
    EXPECT_EQ(units, fake_->billed_tokens()) << costs.dump();
    EXPECT_NEAR(usd, static_cast<double>(fake_->billed_tokens()) * kUsdPerToken, 1e-9);
  }

  std::unique_ptr<FakeOpenAiServer> fake_;
};

TEST_F(EmbedOnceTest, AFailedRequestIsRetriedWithoutPayingAgainForTheOthers) {
  // The first wave is four requests: two are answered, the other two get 500 through all
  // four tries the client makes of each, so the call (and the embed stage) fails and the
  // worker retries the stage. (A single 500 is retried by the client itself.)
  std::vector<fakes::FaultSpec> faults(2, {EmbedFault::kNone, "", "", ""});
  faults.resize(2 + 2 * 4, {EmbedFault::kServerError, "", "", ""});
  fake_->PushFaults(faults);
  const std::string job_id = Upload("embed-once");
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 90000);
  ASSERT_TRUE(done.met) << done.view.dump();
  EXPECT_GE(done.view["retry_count"], 1) << "the embed stage did not fail";
  const auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_NE(std::find(codes.begin(), codes.end(), "RETRY_SCHEDULED"), codes.end()) << Join(codes);
  ExpectEveryChunkBilledOnce(done.view);
}

class EmbedDrainTest : public EmbedOnceTest {
 protected:
  fakes::FakeOpenAiOptions FakeOptions() const override {
    fakes::FakeOpenAiOptions slow;
    slow.latency_ms = 500;  // each request takes a while: SIGTERM finds one in flight
    return slow;
  }
  std::map<std::string, std::string> ServerEnv() const override {
    auto env = EmbedOnceTest::ServerEnv();
    env["INGESTD_DRAIN_MS"] = "100";
    return env;
  }
};

TEST_F(EmbedDrainTest, SigtermStopsASlowEmbedBetweenRequestsAndTheRestartPaysOnlyTheRest) {
  const std::string job_id = Upload("embed-drain");
  WaitResult embedding = WaitForJob(
      *client_, token_, job_id,
      [&](const json& v) {
        if (v.value("status", "") != "embedding_in_progress") return false;
        const auto sent = fake_->requests();
        return std::any_of(sent.begin(), sent.end(), [](const auto& r) { return r.billed; });
      },
      60000);
  ASSERT_TRUE(embedding.met) << embedding.view.dump();
  const std::string doc = embedding.view["document_id"];
  EXPECT_EQ(server_->Stop(), 0) << "serve did not stop by itself";

  // Stopped between requests: the requests answered so far kept, the job given back after.
  DbInspector db(server_->db_path());
  auto job =
      db.Query("SELECT status, state, claimed_by, retry_count FROM jobs WHERE id = ?1", {job_id});
  ASSERT_EQ(job.size(), 1u);
  EXPECT_EQ(job[0][0], "embedding_in_progress");
  EXPECT_EQ(job[0][1], "queued");
  EXPECT_EQ(job[0][2], "");
  EXPECT_EQ(job[0][3], "0") << "a shutdown is no failed attempt";
  const int64_t kept = db.Count("vectors", "document_id = ?1", {doc});
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, static_cast<int64_t>(ChunkTexts(doc).size())) << "the embed was not stopped";
  EXPECT_EQ(db.Count("events", "job_id = ?1 AND code = 'STAGE_CANCELLED'", {job_id}), 1);

  Restart();
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 90000);
  ASSERT_TRUE(done.met) << done.view.dump();
  ExpectEveryChunkBilledOnce(done.view);
}

}  // namespace
}  // namespace ingestd::itest
