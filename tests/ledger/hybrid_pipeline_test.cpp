// A HYBRID pipeline run where the real embedder fails every second call: the router falls
// back to the mock for those calls, every job completes, spend is recorded only for real
// calls, and no mock vector is ever stored under the real model's tag.
#include <gtest/gtest.h>

#include "ledger/sqlite_ledger.h"
#include "pipeline/pipeline_test_env.h"
#include "pipeline/worker.h"
#include "services/fault_injector.h"
#include "services/router/service_router.h"
#include "services/token_estimate.h"

namespace ingestd {
namespace {

constexpr char kRealModel[] = "text-embedding-3-small";
constexpr float kRealValue = 0.25f;

// Stands in for the OpenAI client: constant vectors, reported usage, injected faults.
class FlakyRealEmbedder final : public Embedder {
 public:
  explicit FlakyRealEmbedder(FaultOptions faults) : faults_(faults, "embed") {}
  std::string name() const override { return "real"; }
  std::string model() const override { return kRealModel; }
  int dimensions() const override { return MockEmbedder::kDimensions; }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext&) override {
    if (Status s = faults_.BeforeCall(); !s.ok()) return s;
    EmbedOutput out;
    for (const std::string& t : texts) {
      out.vectors.emplace_back(MockEmbedder::kDimensions, kRealValue);
      out.total_tokens += EstimateTokens(t);
    }
    out.model = kRealModel;
    out.implementation = "real";
    return out;
  }

 private:
  FaultInjector faults_;
};

class HybridPipelineTest : public testing::PipelineTestEnv {};

TEST_F(HybridPipelineTest, HalfTheRealCallsFailingCompletesEveryJobWithHonestTags) {
  auto ledger = SqliteLedger::Open(dir_ + "/db.sqlite", &clock_, LedgerOptions{});
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  ServiceImpls impls;
  impls.parsers["mock"] = std::make_unique<MockParser>();
  impls.embedders["real"] = std::make_unique<FlakyRealEmbedder>(FaultOptions{0, 2, false, 0});
  impls.embedders["mock"] = std::make_unique<MockEmbedder>();
  RouterOptions ro;
  ro.embed_mode = ServiceMode::kHybrid;
  ro.breaker.failure_threshold = 3;  // alternating failures never open it
  int fallbacks = 0;
  auto router =
      ServiceRouter::Create(std::move(ro), std::move(impls), &clock_, ledger->get(),
                            [&](const RouteDecision& d) { fallbacks += d.fallback_triggered; });
  ASSERT_TRUE(router.ok()) << router.status().ToString();

  PipelineDeps deps = Deps();
  deps.parser = (*router)->parser();
  deps.embedder = (*router)->embedder();
  options_.embed_batch_size = 2;  // several embed calls per job
  std::vector<Job> jobs;
  for (int i = 0; i < 6; ++i)
    jobs.push_back(Upload(testing::SyntheticPdf(3, "hybrid" + std::to_string(i))));
  Worker w(deps, options_, "w-1");
  for (int i = 0; i < 1000 && w.RunOnce(); ++i) {
  }

  int real_vectors = 0, mock_vectors = 0;
  for (const Job& job : jobs) {
    Job done = GetJob(job.id);
    EXPECT_EQ(done.status, JobStatus::kComplete) << job.id;
    EXPECT_EQ(done.retry_count, 0) << "fallbacks are not failures";
    auto chunks = store_->GetChunks(job.document_id);
    auto vectors = store_->GetVectors(job.document_id);
    ASSERT_TRUE(chunks.ok() && vectors.ok());
    ASSERT_EQ(vectors->size(), chunks->size());
    for (const VectorRecord& v : *vectors) {
      const Chunk* chunk = nullptr;
      for (const Chunk& c : *chunks) chunk = c.id == v.chunk_id ? &c : chunk;
      ASSERT_NE(chunk, nullptr);
      if (v.model == kRealModel) {
        ++real_vectors;
        EXPECT_EQ(v.values, std::vector<float>(MockEmbedder::kDimensions, kRealValue));
      } else {
        ++mock_vectors;
        EXPECT_EQ(v.model, MockEmbedder::kModel);
        EXPECT_EQ(v.values, MockEmbedder::VectorFor(chunk->text)) << "a mock vector, mock tag";
      }
    }
  }
  EXPECT_GT(real_vectors, 0);
  EXPECT_GT(mock_vectors, 0);
  EXPECT_GT(fallbacks, 0);
  auto costs = (*ledger)->Costs({0, clock_.NowMillis() + 1, "service", ""});
  ASSERT_TRUE(costs.ok());
  EXPECT_EQ(costs->open_reservations, 0);
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_GT(costs->rows[0].cost_nanos, 0);
}

}  // namespace
}  // namespace ingestd
