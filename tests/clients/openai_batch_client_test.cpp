// OpenAiBatchClient against the fake OpenAI's Files and Batch APIs: the wire format (JSONL
// lines, multipart purpose=batch, the batch body), the status walk one poll at a time, the
// output and error files mapped back to every input, the checks on each vector, and the
// faults — lines that fail, a batch that expires, one that fails validation, one held
// in_progress.
#include "services/openai_batch_client.h"

#include <gtest/gtest.h>

#include "services/http/curl_http_client.h"
#include "tests/fakes/fake_openai_server.h"
#include "text/tokenizer.h"

namespace ingestd {
namespace {

using fakes::BatchOutcome;
using fakes::BatchPlan;
using fakes::FakeOpenAiServer;

class RecordingAudit final : public AuditSink {
 public:
  void Record(AuditRecord r) override {
    std::lock_guard lock(mu);
    records.push_back(std::move(r));
  }
  std::vector<std::string> Operations() {
    std::lock_guard lock(mu);
    std::vector<std::string> ops;
    for (const auto& r : records) ops.push_back(r.operation);
    return ops;
  }
  std::mutex mu;
  std::vector<AuditRecord> records;
};

class OpenAiBatchClientTest : public ::testing::Test {
 protected:
  OpenAiBatchClientTest() {
    config.api_key = fakes::kOpenAiTestKey;
    config.base_url = server.base_url();
    config.retry.backoff = {
        .base_delay_ms = 100, .max_delay_ms = 1'000, .multiplier = 2.0, .jitter = Jitter::kNone};
    config.timeouts.total_ms = 5'000;
    auto c = OpenAiBatchClient::Create(config, {&http, &env, &clock, nullptr, &audit, ""});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    client = std::move(c.value());
  }

  // Uploads and creates, then polls until the batch is finished (each poll moves the fake
  // one step): the finished batch.
  BatchState RunToEnd(const std::vector<BatchInput>& inputs, int* polls = nullptr) {
    auto file = client->UploadInput(inputs, ctx);
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    auto batch = client->CreateBatch(*file, ctx);
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    EXPECT_EQ(batch->status, "validating");
    BatchState b = *batch;
    for (int i = 0; i < 10 && !b.Finished(); ++i) {
      auto polled = client->GetBatch(b.id, ctx);
      EXPECT_TRUE(polled.ok()) << polled.status().ToString();
      b = *polled;
      if (polls) ++*polls;
    }
    return b;
  }

  std::vector<BatchInput> Inputs(int n) const {
    std::vector<BatchInput> out;
    for (int i = 0; i < n; ++i) {
      out.push_back({"chunk-" + std::to_string(i), "text number " + std::to_string(i)});
    }
    return out;
  }

  FakeOpenAiServer server;
  http::CurlHttpClient http;
  http::FakeRetryEnv env;
  FakeClock clock;
  RecordingAudit audit;
  OpenAiEmbedderConfig config;
  std::unique_ptr<OpenAiBatchClient> client;
  const CallContext ctx{"corr-b", "", ""};
};

TEST_F(OpenAiBatchClientTest, UploadsJsonlCreatesPollsAndReadsEveryVector) {
  const auto inputs = Inputs(3);
  int polls = 0;
  const BatchState b = RunToEnd(inputs, &polls);
  EXPECT_EQ(b.status, "completed");
  EXPECT_EQ(polls, 3);  // validating → in_progress → finalizing → completed
  EXPECT_EQ(b.total, 3);
  EXPECT_EQ(b.completed, 3);
  EXPECT_TRUE(b.error_file_id.empty());

  auto results = client->ReadResults(b, inputs, ctx);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 3u);
  int64_t tokens = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ((*results)[i].custom_id, inputs[i].custom_id);
    EXPECT_EQ((*results)[i].error_code, "");
    EXPECT_EQ((*results)[i].vector,
              FakeOpenAiServer::VectorFor("text-embedding-3-small", 1536, inputs[i].text));
    EXPECT_EQ((*results)[i].tokens, client->CountTokens(inputs[i].text));
    tokens += (*results)[i].tokens;
  }
  EXPECT_EQ(server.batch_billed_tokens(), tokens);
  EXPECT_EQ(server.billed_tokens(), 0);  // nothing through the synchronous API
  EXPECT_EQ(server.batches_created(), 1);

  // The wire format as sent: a purpose=batch upload, the create body.
  const auto log = server.requests();
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log[0].target, "/v1/files");
  EXPECT_EQ(log[1].target, "/v1/batches");
  EXPECT_EQ(log[1].body["endpoint"], "/v1/embeddings");
  EXPECT_EQ(log[1].body["completion_window"], "24h");
  EXPECT_EQ(log[1].correlation_id, "corr-b");
  const auto ops = audit.Operations();
  EXPECT_EQ(ops.front(), "files.upload");
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "batches.create"), 1);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "files.content"), 1);
}

TEST_F(OpenAiBatchClientTest, FailedLinesComeBackFromTheErrorFileWithTheirCode) {
  const auto inputs = Inputs(4);
  BatchPlan plan;
  plan.failing_custom_ids = {"chunk-1", "chunk-3"};
  server.PushBatchPlan(plan);
  const BatchState b = RunToEnd(inputs);
  EXPECT_EQ(b.status, "completed");
  EXPECT_EQ(b.completed, 2);
  EXPECT_EQ(b.failed, 2);
  EXPECT_FALSE(b.error_file_id.empty());
  auto results = client->ReadResults(b, inputs, ctx);
  ASSERT_TRUE(results.ok());
  for (size_t i : {0u, 2u}) EXPECT_EQ((*results)[i].vector.size(), 1536u);
  for (size_t i : {1u, 3u}) {
    EXPECT_TRUE((*results)[i].vector.empty());
    EXPECT_EQ((*results)[i].error_code, "server_error");
    EXPECT_EQ((*results)[i].tokens, 0);  // an error is not billed
  }
}

TEST_F(OpenAiBatchClientTest, AnExpiredBatchKeepsWhatRanAndMarksTheRestExpired) {
  const auto inputs = Inputs(3);
  BatchPlan plan;
  plan.outcome = BatchOutcome::kExpired;
  plan.lines_before_expiry = 1;
  server.PushBatchPlan(plan);
  const BatchState b = RunToEnd(inputs);
  EXPECT_EQ(b.status, "expired");
  auto results = client->ReadResults(b, inputs, ctx);
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[0].error_code, "");
  EXPECT_EQ((*results)[1].error_code, "batch_expired");
  EXPECT_EQ((*results)[2].error_code, "batch_expired");
  EXPECT_EQ(server.batch_billed_tokens(), (*results)[0].tokens);
}

TEST_F(OpenAiBatchClientTest, AFailedBatchSaysWhyAndHasNoResults) {
  const auto inputs = Inputs(2);
  BatchPlan plan;
  plan.outcome = BatchOutcome::kFailed;
  server.PushBatchPlan(plan);
  const BatchState b = RunToEnd(inputs);
  EXPECT_EQ(b.status, "failed");
  EXPECT_NE(b.error.find("invalid_request"), std::string::npos) << b.error;
  auto results = client->ReadResults(b, inputs, ctx);
  ASSERT_TRUE(results.ok());
  for (const auto& r : *results) EXPECT_EQ(r.error_code, "BATCH_LINE_MISSING");
  EXPECT_EQ(server.batch_billed_tokens(), 0);
}

TEST_F(OpenAiBatchClientTest, AHeldBatchStaysInProgressUntilReleasedAndIsFoundByItsFile) {
  const auto inputs = Inputs(2);
  BatchPlan plan;
  plan.hold_in_progress = true;
  server.PushBatchPlan(plan);
  auto file = client->UploadInput(inputs, ctx);
  ASSERT_TRUE(file.ok());
  auto created = client->CreateBatch(*file, ctx);
  ASSERT_TRUE(created.ok());
  for (int i = 0; i < 5; ++i) {
    auto polled = client->GetBatch(created->id, ctx);
    ASSERT_TRUE(polled.ok());
    EXPECT_EQ(polled->status, "in_progress");  // the first poll ends validating
  }
  // A process that lost the create's answer finds the batch from its file.
  auto found = client->FindBatch(*file, ctx);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, created->id);
  auto none = client->FindBatch("file-unknown", ctx);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  server.ReleaseBatch(created->id);
  BatchState b = *created;
  while (!b.Finished()) b = *client->GetBatch(b.id, ctx);
  EXPECT_EQ(b.status, "completed");
  EXPECT_EQ(server.batches_created(), 1);
}

TEST_F(OpenAiBatchClientTest, AVectorThatFailsTheChecksIsNoResult) {
  const auto inputs = Inputs(2);
  const BatchState b = RunToEnd(inputs);
  config.dimensions = 512;  // a client expecting another length refuses every vector
  auto other = OpenAiBatchClient::Create(config, {&http, &env, &clock, nullptr, nullptr, ""});
  ASSERT_TRUE(other.ok());
  auto results = (*other)->ReadResults(b, inputs, ctx);
  ASSERT_TRUE(results.ok());
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_TRUE((*results)[i].vector.empty());
    EXPECT_EQ((*results)[i].error_code, "UPSTREAM_BAD_RESPONSE");
    EXPECT_EQ((*results)[i].tokens, client->CountTokens(inputs[i].text));  // billed anyway
  }
}

TEST_F(OpenAiBatchClientTest, TheFakeRefusesWhatTheApiRefuses) {
  // A wrong key, a file that is not JSONL, a batch over another endpoint or window.
  config.api_key = "sk-wrong-key-0000";
  auto wrong = OpenAiBatchClient::Create(config, {&http, &env, &clock, nullptr, nullptr, ""});
  ASSERT_TRUE(wrong.ok());
  auto refused = (*wrong)->UploadInput(Inputs(1), ctx);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), "UPSTREAM_AUTH");

  auto missing = client->CreateBatch("file-nope", ctx);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), "UPSTREAM_BAD_REQUEST");
  auto too_many = client->UploadInput(Inputs(0), ctx);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), "BATCH_TOO_LARGE");
  EXPECT_EQ(server.batches_created(), 0);
}

}  // namespace
}  // namespace ingestd
