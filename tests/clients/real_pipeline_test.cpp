// The pipeline's workers with both real providers (LlamaParseParser + OpenAiEmbedder) against
// the fakes: a job completes with the provider's markdown and vectors; a parse retried after
// a timeout resumes the recorded LlamaParse job instead of uploading again; EventJobRecorder
// keeps the provider job id on the job's events.
#include <gtest/gtest.h>

#include "pipeline/llamaparse_job_events.h"
#include "pipeline/pipeline_test_env.h"
#include "pipeline/worker.h"
#include "services/http/curl_http_client.h"
#include "services/openai_embedder.h"
#include "tests/fakes/fake_llamaparse_server.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::testing {
namespace {

class RealPipelineTest : public PipelineTestEnv {
 protected:
  void SetUp() override {
    PipelineTestEnv::SetUp();
    recorder_ = std::make_unique<EventJobRecorder>(store_.get(), &clock_);
    LlamaParseConfig lp;
    lp.api_key = "llx-fake-0123456789abcdef";
    lp.base_url = llamaparse_.base_url();
    lp.job_timeout_ms = 2'000;  // two PENDING polls (1000 + 1500 ms of backoff) is too long
    lp.poll.jitter = Jitter::kNone;
    auto parser = LlamaParseParser::Create(lp, {recorder_.get(), &client_, &env_, &clock_});
    ASSERT_TRUE(parser.ok()) << parser.status().ToString();
    parser_real_ = std::move(*parser);
    OpenAiEmbedderConfig oa;
    oa.api_key = "sk-fake-0123456789abcdef";
    oa.base_url = openai_.base_url();
    auto embedder = OpenAiEmbedder::Create(oa, {&client_, &env_, &clock_});
    ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
    embedder_real_ = std::move(*embedder);
    options_.embed_batch_size = 2048;
  }
  PipelineDeps RealDeps() {
    return PipelineDeps{store_.get(),         blobs_.get(), parser_real_.get(),
                        embedder_real_.get(), &chunker_,    &clock_};
  }
  // Runs stages (advancing the clock past retry delays) until the job settles.
  Job RunToEnd(const Job& job) {
    Worker w(RealDeps(), options_, "w1");
    for (int i = 0; i < 20; ++i) {
      if (!w.RunOnce()) clock_.Advance(options_.backoff.max_delay_ms);
      const Job now = GetJob(job.id);
      if (now.status == JobStatus::kComplete) return now;
    }
    return GetJob(job.id);
  }

  fakes::FakeLlamaParseServer llamaparse_{{.pending_polls = 1}};
  fakes::FakeOpenAiServer openai_;
  http::CurlHttpClient client_;
  http::FakeRetryEnv env_;
  std::unique_ptr<EventJobRecorder> recorder_;
  std::unique_ptr<LlamaParseParser> parser_real_;
  std::unique_ptr<OpenAiEmbedder> embedder_real_;
};

TEST_F(RealPipelineTest, CompletesWithTheProvidersMarkdownAndVectors) {
  const Job job = RunToEnd(Upload(SyntheticPdf(3, "real-a")));
  ASSERT_EQ(job.status, JobStatus::kComplete) << ToString(job.status);
  EXPECT_EQ(llamaparse_.uploads_accepted(), 1);
  auto chunks = store_->GetChunks(job.document_id);
  ASSERT_TRUE(chunks.ok());
  ASSERT_FALSE(chunks->empty());
  EXPECT_NE(chunks->front().text.find("Parsed "), std::string::npos);  // the fake's markdown
  auto vectors = store_->GetVectors(job.document_id);
  ASSERT_TRUE(vectors.ok());
  ASSERT_EQ(vectors->size(), chunks->size());
  for (const auto& v : *vectors) {
    EXPECT_EQ(v.model, "text-embedding-3-small");
    const auto& chunk = *std::find_if(chunks->begin(), chunks->end(),
                                      [&](const Chunk& c) { return c.id == v.chunk_id; });
    EXPECT_EQ(v.values,
              fakes::FakeOpenAiServer::VectorFor("text-embedding-3-small", 1536, chunk.text));
  }
  const auto codes = EventCodes(job);
  EXPECT_NE(std::find(codes.begin(), codes.end(), "PARSE_SUBMITTED"), codes.end());
}

TEST_F(RealPipelineTest, ARetriedParseResumesTheSubmittedJob) {
  fakes::FakeLlamaParseServer slow({.pending_polls = 3});  // outlasts one attempt's polling
  LlamaParseConfig lp;
  lp.api_key = "llx-fake-0123456789abcdef";
  lp.base_url = slow.base_url();
  lp.job_timeout_ms = 2'000;
  lp.poll.jitter = Jitter::kNone;
  parser_real_ =
      std::move(*LlamaParseParser::Create(lp, {recorder_.get(), &client_, &env_, &clock_}));
  const Job job = RunToEnd(Upload(SyntheticPdf(2, "real-b")));
  ASSERT_EQ(job.status, JobStatus::kComplete) << ToString(job.status);
  EXPECT_EQ(slow.uploads_accepted(), 1);  // the retry polled the recorded job
  const auto codes = EventCodes(job);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "PARSE_SUBMITTED"), 1);
}

TEST_F(RealPipelineTest, RecorderFindsTheOpenSubmissionOnly) {
  const Job job = Upload(SyntheticPdf(1, "real-c"));
  const CallContext ctx{job.correlation_id, job.id, job.user_id};
  EXPECT_EQ(recorder_->Find(ctx).value(), std::nullopt);
  ASSERT_TRUE(recorder_->Record(ctx, "lp-1").ok());
  EXPECT_EQ(recorder_->Find(ctx).value(), "lp-1");
  ASSERT_TRUE(recorder_->Close(ctx, "lp-1").ok());
  EXPECT_EQ(recorder_->Find(ctx).value(), std::nullopt);
  ASSERT_TRUE(recorder_->Record(ctx, "lp-2").ok());
  EXPECT_EQ(recorder_->Find(ctx).value(), "lp-2");
  EXPECT_FALSE(recorder_->Find({job.correlation_id, job.id, "someone-else"}).ok());
}

}  // namespace
}  // namespace ingestd::testing
