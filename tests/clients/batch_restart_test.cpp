// The Batch API through `ingestd serve` over sockets (EMBED_MODE=real against the in-process
// fake OpenAI, which outlives the server): a batch still in_progress when ingestd is killed is
// polled again by the restarted process — same batch, never a second one — and its jobs
// complete from it; embed_via on an upload is checked and honoured.
#include <gtest/gtest.h>

#include "core/crypto.h"
#include "harness/test_support.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::itest {
namespace {

using fakes::FakeOpenAiServer;

bool IsBatched(const json& view) { return view.value("status", "") == "embedding_batched"; }

class BatchServerTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"EMBED_MODE", "real"},
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
            {"OPENAI_BASE_URL", fake_.base_url()},
            {"INGESTD_BATCH_BELOW_PRIORITY", "1"},
            {"INGESTD_BATCH_FLUSH_MS", "0"},
            {"INGESTD_BATCH_POLL_MS", "50"},
            // A killed batcher's lease lapses soon, so the restarted one takes over quickly.
            {"INGESTD_BATCH_LEASE_MS", "500"}};
  }
  FakeOpenAiServer fake_;
};

TEST_F(BatchServerTest, ABatchInProgressOutlivesAKillOfIngestdAndIsNeverCreatedTwice) {
  fakes::BatchPlan held;
  held.hold_in_progress = true;
  fake_.PushBatchPlan(held);
  // One job: with INGESTD_BATCH_FLUSH_MS=0 each job that parks goes out in a batch of its own.
  // At the default priority, 0: below INGESTD_BATCH_BELOW_PRIORITY.
  const std::string a = UploadTaggedFaq("batch-restart-a");
  ASSERT_TRUE(WaitForJob(*client_, token_, a, IsBatched, 60'000).met);
  // Polled in_progress at least once by this process, then it dies.
  ASSERT_TRUE(fake_.WaitForBatchPolls(2, 60'000));
  ASSERT_EQ(fake_.batches_created(), 1);
  const std::string batch_id = fake_.batches().front().id;
  server_->Kill();
  const int polls_before = fake_.batches().front().polls;
  Restart();
  // The new process polls the same batch (it stays in_progress while held).
  ASSERT_TRUE(fake_.WaitForBatchPolls(polls_before + 2, 60'000));
  EXPECT_EQ(fake_.batches_created(), 1);
  EXPECT_TRUE(IsBatched(client_->Get("/api/v1/jobs/" + a, token_).Json()));
  fake_.ReleaseBatch(batch_id);
  WaitResult done = WaitForJob(*client_, token_, a, IsComplete, 60'000);
  ASSERT_TRUE(done.met) << done.view.dump();
  const auto codes = EventCodes(GetEvents(*client_, token_, a));
  EXPECT_TRUE(IsSubsequence({"EMBED_BATCHED", "EMBED_BATCH_DONE", "JOB_COMPLETED"}, codes))
      << Join(codes);
  ASSERT_EQ(fake_.batches_created(), 1);
  EXPECT_EQ(fake_.batches().front().id, batch_id);
  EXPECT_EQ(fake_.billed_tokens(), 0);  // nothing through the synchronous API
  EXPECT_GT(fake_.batch_billed_tokens(), 0);
}

TEST_F(BatchServerTest, AnUploadMayAskForTheBatchAndAnythingElseIsRefused) {
  for (const char* via : {"batch", "overnight"}) {
    const std::string bytes = TaggedPdf(kRFaqPdf, std::string("embed-via-") + via);
    HttpResponse declared = client_->PostJson("/api/v1/upload",
                                              {{"filename", "R-FAQ.pdf"},
                                               {"bytes_len", bytes.size()},
                                               {"mime", "application/pdf"},
                                               {"sha256", Sha256Hex(bytes)},
                                               {"processing_priority", 50},
                                               {"embed_via", via}},
                                              token_);
    if (std::string(via) == "overnight") {
      EXPECT_EQ(declared.status, 400) << declared.Describe();
      EXPECT_EQ(declared.Json()["error"]["code"], "INVALID_FIELD");
      continue;
    }
    ASSERT_EQ(declared.status, 200) << declared.Describe();
    const std::string job_id = declared.Json().value("job_id", "");
    ASSERT_EQ(PutBlob(*client_, declared.Json().value("signed_url", ""), bytes).status, 200);
    // Priority 50 is above INGESTD_BATCH_BELOW_PRIORITY: only the ask sends it to a batch.
    WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 60'000);
    ASSERT_TRUE(done.met) << done.view.dump();
    EXPECT_TRUE(IsSubsequence({"EMBED_BATCHED", "EMBED_BATCH_DONE"},
                              EventCodes(GetEvents(*client_, token_, job_id))));
  }
  EXPECT_EQ(fake_.batches_created(), 1);
  EXPECT_EQ(fake_.billed_tokens(), 0);
}

}  // namespace
}  // namespace ingestd::itest
