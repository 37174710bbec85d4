// LlamaParseParser against the fake LlamaParse server: upload from disk, the recorded job id
// (no second upload on retry), polling delays, result, typed errors.
#include "services/llamaparse_parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/crypto.h"
#include "services/http/curl_http_client.h"
#include "tests/fakes/fake_llamaparse_server.h"

namespace ingestd {
namespace {

using fakes::FakeLlamaParseServer;
using fakes::ParseOutcome;
using fakes::UploadFault;

class MemoryRecorder final : public ProviderJobRecorder {
 public:
  Result<std::optional<std::string>> Find(const CallContext& ctx) override {
    auto it = ids.find(ctx.job_id);
    if (it == ids.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status Record(const CallContext& ctx, const std::string& id) override {
    if (fail) return Status::Unavailable("STORE_DOWN", "store is down");
    ids[ctx.job_id] = id;
    return Status();
  }
  Status Close(const CallContext& ctx, const std::string&) override {
    ids.erase(ctx.job_id);
    return Status();
  }
  Result<int> CountNotices(const CallContext&) override { return notices; }
  Result<int64_t> RecordedAtMs(const CallContext&) override { return recorded_at; }
  std::map<std::string, std::string> ids;
  bool fail = false;
  int notices = 0;
  int64_t recorded_at = 0;
};

class LlamaParseTest : public ::testing::Test {
 protected:
  LlamaParseTest() {
    pdf_ = (std::filesystem::temp_directory_path() /
            ("llamaparse_test_" + std::to_string(::getpid()) + ".pdf"))
               .string();
    std::ofstream(pdf_) << pdf_bytes_;
    config.api_key = "llx-fake-0123456789abcdef";
    config.base_url = server.base_url();
    config.poll = {
        .base_delay_ms = 1'000, .max_delay_ms = 10'000, .multiplier = 1.5, .jitter = Jitter::kNone};
    config.retry.backoff = {
        .base_delay_ms = 100, .max_delay_ms = 5'000, .multiplier = 2.0, .jitter = Jitter::kNone};
  }
  ~LlamaParseTest() override { std::filesystem::remove(pdf_); }

  Result<ParseOutput> Parse(const std::string& job = "job-1") {
    auto p = LlamaParseParser::Create(config, {&recorder, &client, &env, &clock});
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return (*p)->Parse({pdf_, 42, "doc-1"}, {"corr-1", job, "alice"});
  }

  const std::string pdf_bytes_ = "%PDF-1.4\n% a tiny stand-in\n%%EOF\n";
  std::string pdf_;
  FakeLlamaParseServer server;
  http::CurlHttpClient client;
  http::FakeRetryEnv env;
  FakeClock clock;
  MemoryRecorder recorder;
  LlamaParseConfig config;
};

TEST_F(LlamaParseTest, UploadsPollsAndReturnsTheMarkdown) {
  auto out = Parse();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->markdown, FakeLlamaParseServer::MarkdownFor("doc-1.pdf", Sha256Hex(pdf_bytes_)));
  EXPECT_EQ(out->page_count, FakeLlamaParseServer::kPages);
  EXPECT_FALSE(out->cache_hit);
  EXPECT_EQ(out->cost_usd, 0);  // usage only: the router prices it (ledger/price_table.h)
  EXPECT_EQ(out->implementation, "llamaparse");
  ASSERT_EQ(server.jobs().size(), 1u);
  EXPECT_EQ(server.jobs()[0].tier, "cost_effective");
  EXPECT_EQ(recorder.ids.at("job-1"), server.jobs()[0].id);
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{1'000, 1'500}));  // two PENDING polls
}

TEST_F(LlamaParseTest, ARetryResumesTheRecordedJobWithoutUploadingAgain) {
  config.job_timeout_ms = 2'000;  // 1000 + 1500 > 2000: gives up after the second poll
  FakeLlamaParseServer slow_server({.pending_polls = 3});
  config.base_url = slow_server.base_url();
  auto first = Parse();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), "UPSTREAM_PARSE_TIMEOUT");
  EXPECT_TRUE(first.status().retryable());
  auto second = Parse();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(slow_server.uploads_accepted(), 1);
  EXPECT_EQ(second->page_count, FakeLlamaParseServer::kPages);
}

TEST_F(LlamaParseTest, AParkingParserAnswersPendingWithoutWaitingAndResumesTheJob) {
  config.park_pending = true;  // the fake answers PENDING to the first 2 polls
  auto first = Parse();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), kParsePendingCode);
  EXPECT_TRUE(first.status().retryable());
  EXPECT_EQ(first.status().retry_after_ms(), 1'000);  // just recorded: the base delay
  EXPECT_TRUE(env.sleeps().empty());                  // no thread waited on the provider
  // 8 s after the record, the next poll comes half that time later.
  recorder.recorded_at = clock.NowMillis() - 8'000;
  auto second = Parse();
  EXPECT_EQ(second.status().code(), kParsePendingCode);
  EXPECT_EQ(second.status().retry_after_ms(), 4'000);
  auto third = Parse();
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->page_count, FakeLlamaParseServer::kPages);
  EXPECT_EQ(server.uploads_accepted(), 1);  // resumed, never submitted again
  EXPECT_TRUE(env.sleeps().empty());
  // Pending past job_timeout_ms since the record: the timeout (retryable; resumed later).
  config.job_timeout_ms = 2'000;
  recorder.recorded_at = clock.NowMillis() - 3'000;
  auto late = Parse("job-2");
  EXPECT_EQ(late.status().code(), "UPSTREAM_PARSE_TIMEOUT");
  EXPECT_TRUE(late.status().retryable());
}

TEST_F(LlamaParseTest, ErrorAndCancelledAreFinalAtOnceWithTheProvidersReason) {
  server.PushOutcome(ParseOutcome::kError);
  server.PushOutcome(ParseOutcome::kCancelled);
  auto error = Parse("job-e");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), "UPSTREAM_PARSE_FAILED");
  EXPECT_EQ(error.status().kind(), Kind::kUnprocessable);
  EXPECT_FALSE(error.status().retryable());
  EXPECT_NE(error.status().message().find("PDF_IS_BROKEN"), std::string::npos);
  EXPECT_NE(error.status().message().find("could not be read"), std::string::npos);
  auto cancelled = Parse("job-c");
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), "UPSTREAM_PARSE_CANCELLED");
  EXPECT_FALSE(cancelled.status().retryable());
  EXPECT_NE(cancelled.status().message().find("JOB_CANCELLED"), std::string::npos);
  // Settled on the first poll that saw it: never polled again.
  for (const auto& job : server.jobs()) EXPECT_EQ(job.polls, 3) << job.id;
  EXPECT_TRUE(recorder.ids.empty());  // a user retry uploads afresh
  EXPECT_TRUE(Parse("job-e").ok());
  EXPECT_EQ(server.uploads_accepted(), 3);
}

// Answers outside the API's contract (a wrong JSON type, a negative or out-of-range page
// count) are typed errors: never an exception, a truncated or a negative page count.
TEST_F(LlamaParseTest, AnswersOfTheWrongTypeAreTypedErrorsNotThrows) {
  struct Case {
    const char* patch;
    const char* code;  // "" : parsed
    ParseOutcome outcome = ParseOutcome::kSuccess;
  };
  const Case cases[] = {
      {R"({"status": 7})", "UPSTREAM_BAD_RESPONSE"},
      {R"({"status": ["SUCCESS"]})", "UPSTREAM_BAD_RESPONSE"},
      {R"({"error_code": 42, "error_message": {"m": 1}})", "UPSTREAM_PARSE_FAILED",
       ParseOutcome::kError},
      {R"({"job_metadata": {"job_pages": "3"}})", "UPSTREAM_BAD_RESPONSE"},
      {R"({"job_metadata": {"job_pages": -3}})", "UPSTREAM_BAD_RESPONSE"},
      {R"({"job_metadata": {"job_pages": 4294967299}})", "UPSTREAM_BAD_RESPONSE"},
      {R"({"job_metadata": {"job_pages": 3.5}})", "UPSTREAM_BAD_RESPONSE"},
      {R"({"job_metadata": 5})", "UPSTREAM_BAD_RESPONSE"},
      {R"({"markdown": 5})", "UPSTREAM_BAD_RESPONSE"},
      {R"({"job_metadata": {"job_is_cache_hit": "yes"}})", ""},  // read as no cache hit
  };
  auto p = LlamaParseParser::Create(config, {&recorder, &client, &env, &clock});
  ASSERT_TRUE(p.ok());
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.patch);
    server.PushOutcome(c.outcome);
    server.SetAnswerPatch(c.patch);
    UsageMeter billed;
    CallContext ctx{"corr-1", "job-" + std::to_string(++n), "alice"};
    ctx.billed = &billed;
    auto out = (*p)->Parse({pdf_, 42, "doc-1"}, ctx);
    EXPECT_GE(billed.units, 0);
    if (*c.code == '\0') {
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      EXPECT_EQ(out->page_count, FakeLlamaParseServer::kPages);
      EXPECT_FALSE(out->cache_hit);
    } else {
      EXPECT_EQ(out.status().code(), c.code) << out.status().ToString();
    }
  }
  server.SetAnswerPatch("");
  EXPECT_TRUE(Parse("job-after").ok());
}

TEST_F(LlamaParseTest, PartialSuccessReturnsWhatWasParsedAndItsBilledPages) {
  server.PushOutcome(ParseOutcome::kPartialSuccess);
  auto p = LlamaParseParser::Create(config, {&recorder, &client, &env, &clock});
  ASSERT_TRUE(p.ok());
  UsageMeter billed;
  CallContext ctx{"corr-1", "job-p", "alice"};
  ctx.billed = &billed;
  auto out = (*p)->Parse({pdf_, 42, "doc-1"}, ctx);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->partial);
  EXPECT_EQ(out->page_count, FakeLlamaParseServer::kPartialPages);
  EXPECT_EQ(out->markdown, FakeLlamaParseServer::MarkdownFor("doc-1.pdf", Sha256Hex(pdf_bytes_),
                                                             FakeLlamaParseServer::kPartialPages));
  EXPECT_EQ(billed.units, FakeLlamaParseServer::kPartialPages);
  EXPECT_EQ(server.billed_pages(), FakeLlamaParseServer::kPartialPages);
  EXPECT_EQ(server.uploads_accepted(), 1);
}

TEST_F(LlamaParseTest, OutOfCreditsIsAQuotaErrorNotABadRequest) {
  server.PushUploadFault(UploadFault::kOutOfCredits);
  auto out = Parse();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_QUOTA");
  EXPECT_EQ(out.status().kind(), Kind::kBudgetExceeded);
  EXPECT_FALSE(out.status().retryable());
  EXPECT_EQ(server.requests().size(), 1u);  // not retried
  EXPECT_EQ(server.uploads_accepted(), 0);
}

TEST_F(LlamaParseTest, UploadRateLimitAndServerErrorsAreRetried) {
  server.PushUploadFault(UploadFault::kRateLimit);  // retry-after: 1
  server.PushUploadFault(UploadFault::kServerError);
  auto out = Parse();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(server.uploads_accepted(), 1);
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{1'000, 200, 1'000, 1'500}));
}

TEST_F(LlamaParseTest, BadKeyIsAuthAndNeverEchoed) {
  config.api_key = "llx-SECRET-SECRET";
  auto out = Parse();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_AUTH");
  EXPECT_FALSE(out.status().retryable());
  EXPECT_EQ(out.status().ToString().find("SECRET"), std::string::npos);
  EXPECT_TRUE(env.sleeps().empty());
}

TEST_F(LlamaParseTest, AnUnrecordedSubmissionFailsRetryably) {
  recorder.fail = true;
  auto out = Parse();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "PARSE_JOB_NOT_RECORDED");
  EXPECT_TRUE(out.status().retryable());
  EXPECT_EQ(server.jobs().at(0).polls, 0);  // never waited on a job we could lose
}

TEST_F(LlamaParseTest, CacheHitIsReported) {
  ASSERT_TRUE(Parse("job-1").ok());
  auto again = Parse("job-2");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->cache_hit);
  EXPECT_EQ(again->page_count, FakeLlamaParseServer::kPages);
}

TEST_F(LlamaParseTest, AnUnknownRecordedJobIsNotRetried) {
  recorder.ids["job-1"] = "no-such-job";
  auto out = Parse();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_PARSE_JOB_UNKNOWN");
  EXPECT_EQ(server.uploads_accepted(), 0);
}

// Delivers a webhook notice to the recorder during the first sleep.
class NoticeOnFirstSleep final : public http::RetryEnv {
 public:
  explicit NoticeOnFirstSleep(MemoryRecorder* r) : recorder_(r) {}
  void SleepMs(int64_t ms) override {
    if (sleeps.empty()) ++recorder_->notices;
    sleeps.push_back(ms);
  }
  double UnitRandom() override { return 0; }
  std::vector<int64_t> sleeps;

 private:
  MemoryRecorder* recorder_;
};

TEST_F(LlamaParseTest, AWebhookNoticeBringsTheNextPollForward) {
  FakeLlamaParseServer one_poll({.pending_polls = 1});
  config.base_url = one_poll.base_url();
  config.webhook_base_url = "https://ingestd.example";
  config.webhook_master_secret = "master";
  config.notice_check_ms = 250;
  NoticeOnFirstSleep notice_env(&recorder);
  auto p = LlamaParseParser::Create(config, {&recorder, &client, &notice_env, &clock});
  ASSERT_TRUE(p.ok());
  auto out = (*p)->Parse({pdf_, 42, "doc-1"}, {"corr-1", "job-1", "alice"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(notice_env.sleeps, (std::vector<int64_t>{250}));  // not the whole 1000 ms
  const auto hooks = nlohmann::json::parse(one_poll.jobs().at(0).webhook_configurations);
  EXPECT_EQ(hooks[0]["webhook_url"], "https://ingestd.example/api/v1/webhooks/llamaparse/job-1");
}

TEST_F(LlamaParseTest, WithoutANoticeTheWaitIsSlicedButWhole) {
  config.webhook_base_url = "https://ingestd.example";
  config.webhook_master_secret = "master";
  config.notice_check_ms = 400;
  ASSERT_TRUE(Parse().ok());
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{400, 400, 200, 400, 400, 400, 300}));
}

}  // namespace
}  // namespace ingestd
