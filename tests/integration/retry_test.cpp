// Failure handling with the mocks' fault injection: transient faults are retried with
// backoff, permanent ones dead-letter the job with last_error, and POST …/retry requeues
// only dead-lettered or retryable jobs.
#include <gtest/gtest.h>

#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

int CountCode(const std::vector<std::string>& codes, const std::string& code) {
  return static_cast<int>(std::count(codes.begin(), codes.end(), code));
}

HttpResponse Retry(HttpClient& client, const std::string& token, const std::string& job_id) {
  return client.Send(
      {.method = "POST", .target = "/api/v1/jobs/" + job_id + "/retry", .bearer = token});
}

void ExpectLastError(const json& view, const std::string& stage_part) {
  ASSERT_TRUE(view["last_error"].is_object()) << view.dump();
  const json& e = view["last_error"];
  for (const char* key : {"code", "message", "stage", "at"}) {
    ASSERT_TRUE(e.contains(key) && e[key].is_string()) << key << " in " << e.dump();
    EXPECT_FALSE(e[key].get<std::string>().empty()) << key << " in " << e.dump();
  }
  EXPECT_NE(e["stage"].get<std::string>().find(stage_part), std::string::npos) << e.dump();
  EXPECT_TRUE(IsRfc3339Utc(e["at"].get<std::string>())) << e.dump();
}

class SlowParseTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_MOCK_PARSE_FAULTS", "latency:1500"}};
  }
};

TEST_F(SlowParseTest, RetryIsRefusedForWaitingWorkingAndCompleteJobs) {
  HttpResponse waiting = RequestUpload(*client_, token_, "later.pdf", ReadFile(kRDataPdf));
  ASSERT_EQ(waiting.status, 200) << waiting.Describe();
  HttpResponse r = Retry(*client_, token_, waiting.Json()["job_id"]);
  EXPECT_EQ(r.status, 409) << r.Describe();
  EXPECT_EQ(r.ErrorCode(), "JOB_NOT_RETRYABLE");

  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", ReadFile(kRFaqPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  std::string job_id = up.Json()["job_id"];
  WaitResult working = WaitForJob(
      *client_, token_, job_id, [](const json& v) { return v["state"] == "working"; }, 10000);
  ASSERT_TRUE(working.met) << working.view.dump();
  r = Retry(*client_, token_, job_id);
  EXPECT_EQ(r.status, 409) << r.Describe();
  EXPECT_EQ(r.ErrorCode(), "JOB_NOT_RETRYABLE");

  ASSERT_TRUE(WaitForJob(*client_, token_, job_id, IsComplete).met);
  r = Retry(*client_, token_, job_id);
  EXPECT_EQ(r.status, 409) << r.Describe();
  EXPECT_EQ(r.ErrorCode(), "JOB_NOT_RETRYABLE");
  auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(CountCode(codes, "RETRY_REQUESTED"), 0) << Join(codes);
  EXPECT_EQ(CountCode(codes, "JOB_COMPLETED"), 1) << Join(codes);
}

class PermanentEmbedFaultTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_MOCK_EMBED_FAULTS", "permanent"}};
  }
};

TEST_F(PermanentEmbedFaultTest, JobDeadLettersThenRetryAfterRestartCompletesIt) {
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", ReadFile(kRFaqPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  std::string job_id = up.Json()["job_id"], doc_id = up.Json()["document_id"];
  WaitResult dead = WaitForJob(*client_, token_, job_id, IsSettled, 30000);
  ASSERT_TRUE(dead.met) << dead.view.dump();
  ASSERT_EQ(dead.view["state"], "deadletter") << dead.view.dump();
  EXPECT_NE(dead.view["status"], "complete");
  EXPECT_TRUE(dead.view["retry_at"].is_null()) << dead.view.dump();
  ExpectLastError(dead.view, "embed");
  auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(CountCode(codes, "DLQ_MOVED"), 1) << Join(codes);
  EXPECT_EQ(CountCode(codes, "JOB_COMPLETED"), 0) << Join(codes);
  EXPECT_EQ(CountCode(codes, "RETRY_SCHEDULED"), 0) << "permanent faults are not retried";
  json doc = client_->Get("/api/v1/documents/" + doc_id, token_).Json();
  EXPECT_GT(doc.value("chunk_count", 0), 0) << doc.dump();
  EXPECT_EQ(doc.value("vector_count", -1), 0) << doc.dump();

  ASSERT_EQ(server_->Stop(), 0);
  server_->UnsetEnv("INGESTD_MOCK_EMBED_FAULTS");
  Restart();
  EXPECT_EQ(client_->Get("/api/v1/jobs/" + job_id, token_).Json()["state"], "deadletter")
      << "a dead-lettered job stays put until someone asks";

  HttpResponse r = Retry(*client_, token_, job_id);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.Json()["job_id"], job_id);
  EXPECT_TRUE(r.Json()["state"] == "queued" || r.Json()["state"] == "working") << r.body;
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 30000);
  ASSERT_TRUE(done.met) << done.view.dump();
  doc = client_->Get("/api/v1/documents/" + doc_id, token_).Json();
  EXPECT_GT(doc.value("vector_count", 0), 0) << doc.dump();
  EXPECT_EQ(doc["vector_count"], doc["chunk_count"]) << doc.dump();
  codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_TRUE(
      IsSubsequence({"DLQ_MOVED", "RETRY_REQUESTED", "EMBEDDINGS_STORED", "JOB_COMPLETED"}, codes))
      << Join(codes);
  EXPECT_EQ(CountCode(codes, "JOB_COMPLETED"), 1) << Join(codes);
}

class TransientFaultTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_MOCK_PARSE_FAULTS", "transient:1"},
            {"INGESTD_MOCK_EMBED_FAULTS", "transient:2"},
            {"INGESTD_RETRY_BASE_MS", "50"},
            {"INGESTD_RETRY_MAX_MS", "200"}};
  }
};

TEST_F(TransientFaultTest, TransientFaultsAreRetriedAndTheJobCompletes) {
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", ReadFile(kRFaqPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  std::string job_id = up.Json()["job_id"];
  WaitResult done = WaitForJob(*client_, token_, job_id, IsSettled, 30000);
  ASSERT_TRUE(IsComplete(done.view)) << done.view.dump();
  EXPECT_GE(done.view.value("retry_count", 0), 1) << done.view.dump();
  json events = GetEvents(*client_, token_, job_id);
  auto codes = EventCodes(events);
  // One parse call fails once, then the first embed call of two attempts.
  EXPECT_EQ(CountCode(codes, "RETRY_SCHEDULED"), 3) << Join(codes);
  EXPECT_EQ(CountCode(codes, "DLQ_MOVED"), 0) << Join(codes);
  EXPECT_TRUE(IsSubsequence({"RETRY_SCHEDULED", "PARSE_STORED", "RETRY_SCHEDULED",
                             "RETRY_SCHEDULED", "EMBEDDINGS_STORED", "JOB_COMPLETED"},
                            codes))
      << Join(codes);
}

class ExhaustedRetriesTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_MOCK_EMBED_FAULTS", "transient:1000"},
            {"INGESTD_MAX_ATTEMPTS", "3"},
            {"INGESTD_RETRY_BASE_MS", "20"},
            {"INGESTD_RETRY_MAX_MS", "50"}};
  }
};

TEST_F(ExhaustedRetriesTest, JobDeadLettersAfterMaxAttempts) {
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", ReadFile(kRFaqPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  std::string job_id = up.Json()["job_id"];
  WaitResult dead = WaitForJob(*client_, token_, job_id, IsSettled, 30000);
  ASSERT_TRUE(IsDeadletter(dead.view)) << dead.view.dump();
  ExpectLastError(dead.view, "embed");
  auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(CountCode(codes, "RETRY_SCHEDULED"), 2) << "3 attempts = 2 retries: " << Join(codes);
  EXPECT_EQ(CountCode(codes, "DLQ_MOVED"), 1) << Join(codes);
}

class LongBackoffTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_MOCK_EMBED_FAULTS", "transient:1"},
            {"INGESTD_RETRY_BASE_MS", "60000"},
            {"INGESTD_RETRY_MAX_MS", "60000"}};
  }
};

TEST_F(LongBackoffTest, RetryableJobShowsRetryAtAndCanBeRetriedNow) {
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", ReadFile(kRFaqPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  std::string job_id = up.Json()["job_id"];
  WaitResult waiting = WaitForJob(
      *client_, token_, job_id, [](const json& v) { return v["state"] == "retryable"; }, 15000);
  ASSERT_TRUE(waiting.met) << waiting.view.dump();
  EXPECT_TRUE(waiting.view["retry_at"].is_string()) << waiting.view.dump();
  EXPECT_EQ(waiting.view["retry_count"], 1) << waiting.view.dump();
  ExpectLastError(waiting.view, "embed");

  HttpResponse r = Retry(*client_, token_, job_id);
  ASSERT_EQ(r.status, 200) << r.Describe();
  // Without the request the backoff would hold the job for a minute.
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 15000);
  ASSERT_TRUE(done.met) << done.view.dump();
  auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_TRUE(IsSubsequence({"RETRY_SCHEDULED", "RETRY_REQUESTED", "JOB_COMPLETED"}, codes))
      << Join(codes);
}

}  // namespace
}  // namespace ingestd::itest
