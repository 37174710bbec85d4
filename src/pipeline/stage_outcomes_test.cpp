// What the stages make of a provider's less common answers: a partial parse completes the
// job with what was parsed and says so; a batch served by a fallback is checked against the
// fallback's own model space.
#include <gtest/gtest.h>

#include "pipeline/pipeline_test_env.h"
#include "pipeline/worker.h"

namespace ingestd {
namespace {

using testing::PipelineTestEnv;
using testing::SyntheticPdf;

// The mock parser's answer, reported as a partial parse of its first page.
class PartialParser final : public Parser {
 public:
  std::string name() const override { return "partial"; }
  Result<ParseOutput> Parse(const ParseInput& in, const CallContext& ctx) override {
    auto out = inner_.Parse(in, ctx);
    if (out.ok()) {
      out->partial = true;
      out->page_count = 1;
    }
    return out;
  }

 private:
  MockParser inner_;
};

// A router's face: configured for a 512-dimension real model, every batch served by the mock
// fallback in its own 1536-dimension space (as RoutedEmbedder reports it).
class FallingBackEmbedder final : public Embedder {
 public:
  std::string name() const override { return "router"; }
  std::string model() const override { return "text-embedding-3-small@512"; }
  int dimensions() const override { return 512; }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts,
                            const CallContext& ctx) override {
    auto out = fallback_.Embed(texts, ctx);
    if (out.ok()) out->dimensions = fallback_.dimensions();
    return out;
  }

 private:
  MockEmbedder fallback_;
};

class StageOutcomesTest : public PipelineTestEnv {
 protected:
  void Drain(Worker& w) {
    while (w.RunOnce()) {
    }
  }
};

TEST_F(StageOutcomesTest, APartialParseCompletesWithAParsePartialEvent) {
  PartialParser parser;
  PipelineDeps deps = Deps();
  deps.parser = &parser;
  Job job = Upload(SyntheticPdf(3, "partial"));
  Worker w(deps, options_, "w-1");
  Drain(w);
  EXPECT_EQ(GetJob(job.id).status, JobStatus::kComplete);
  auto events = store_->ListEvents(job.user_id, job.id);
  ASSERT_TRUE(events.ok());
  const Event* partial = nullptr;
  for (const Event& e : *events) {
    if (e.code == "PARSE_PARTIAL") partial = &e;
  }
  ASSERT_NE(partial, nullptr);
  EXPECT_EQ(partial->stage, "parse");
  EXPECT_EQ(partial->correlation_id, job.correlation_id);
  EXPECT_EQ(partial->payload["pages"], 1);
  EXPECT_EQ(store_->GetDocumentUnscoped(job.document_id)->page_count, 1);
}

TEST_F(StageOutcomesTest, FallbackVectorsAreCheckedAgainstTheFallbacksOwnDimensions) {
  FallingBackEmbedder embedder;
  PipelineDeps deps = Deps();
  deps.embedder = &embedder;
  Job job = Upload(SyntheticPdf(3, "fallback-dims"));
  Worker w(deps, options_, "w-1");
  Drain(w);
  Job done = GetJob(job.id);
  EXPECT_EQ(done.status, JobStatus::kComplete)
      << (done.last_error ? done.last_error->message : std::string());
  auto vectors = store_->GetVectors(job.document_id);
  ASSERT_TRUE(vectors.ok());
  ASSERT_FALSE(vectors->empty());
  for (const VectorRecord& v : *vectors) {
    EXPECT_EQ(v.model, MockEmbedder::kModel);
    EXPECT_EQ(v.values.size(), static_cast<size_t>(MockEmbedder::kDimensions));
  }
}

}  // namespace
}  // namespace ingestd
