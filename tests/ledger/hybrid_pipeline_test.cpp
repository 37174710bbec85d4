// Pipeline runs through the router and a SQLite ledger. HYBRID, the real embedder failing
// every second call: the router falls back to the mock for those calls, every job completes,
// spend is recorded only for real calls, and no mock vector is ever stored under the real
// model's tag. Under a priority reserve (LedgerOptions::priority_reserve_pct): in REAL a
// low-priority job waits for the next window (never an attempt, never dead-lettered) while an
// urgent one completes; in HYBRID the low-priority job takes the free fallback instead.
#include <gtest/gtest.h>

#include "ledger/sqlite_ledger.h"
#include "ledger/windows.h"
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
  auto costs = (*ledger)->Costs({0, clock_.NowMillis() + 1, "service", "", ""});
  ASSERT_TRUE(costs.ok());
  EXPECT_EQ(costs->open_reservations, 0);
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_GT(costs->rows[0].cost_nanos, 0);
}

// A budget whose daily embed window is spent up to its priority reserve: half of $1 is left,
// and only for jobs with priority >= 50.
class PriorityReserveTest : public testing::PipelineTestEnv {
 protected:
  static constexpr int kUrgent = 50;

  void SetUp() override {
    testing::PipelineTestEnv::SetUp();
    LedgerOptions o;
    o.embed.daily_usd = 1.0;
    o.priority_reserve_pct = 50;
    o.priority_min = kUrgent;
    auto ledger = SqliteLedger::Open(dir_ + "/db.sqlite", &clock_, o);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(*ledger);
    ReserveRequest earlier{"embed", kNanosPerUsd / 2, "user-0", "earlier", "corr-0"};
    earlier.processing_priority = kUrgent;
    auto spent = ledger_->Reserve(earlier);
    ASSERT_TRUE(spent.ok()) << spent.status().ToString();
    ASSERT_TRUE(ledger_->Settle(spent->id, Usage{kNanosPerUsd / 2, 1, "tokens", kRealModel}).ok());
  }

  // A worker over a router in `mode` for embeddings (mock parser, real embedder, mock
  // fallback) and the ledger.
  void Run(ServiceMode mode, const std::function<void(Worker&)>& body) {
    ServiceImpls impls;
    impls.parsers["mock"] = std::make_unique<MockParser>();
    impls.embedders["real"] = std::make_unique<FlakyRealEmbedder>(FaultOptions{});
    impls.embedders["mock"] = std::make_unique<MockEmbedder>();
    RouterOptions ro;
    ro.embed_mode = mode;
    auto router = ServiceRouter::Create(std::move(ro), std::move(impls), &clock_, ledger_.get(),
                                        [&](const RouteDecision& d) { decisions_.push_back(d); });
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    PipelineDeps deps = Deps();
    deps.parser = (*router)->parser();
    deps.embedder = (*router)->embedder();
    Worker w(deps, options_, "w-1");
    body(w);
  }

  static void Drain(Worker& w) {
    for (int i = 0; i < 1000 && w.RunOnce(); ++i) {
    }
  }

  std::string VectorModel(const Job& job) {
    auto vectors = store_->GetVectors(job.document_id);
    EXPECT_TRUE(vectors.ok() && !vectors->empty());
    return vectors.ok() && !vectors->empty() ? vectors->front().model : "";
  }

  std::unique_ptr<Ledger> ledger_;
  std::vector<RouteDecision> decisions_;  // every routed call, in order
};

TEST_F(PriorityReserveTest, InRealModeLowPriorityWaitsForTheNextWindowWhileUrgentCompletes) {
  options_.max_attempts = 1;  // a wait that counted as an attempt would dead-letter at once
  Run(ServiceMode::kReal, [&](Worker& w) {
    Job low = Upload(testing::SyntheticPdf(2, "low"), "user-1", 0);
    Job urgent = Upload(testing::SyntheticPdf(2, "urgent"), "user-1", kUrgent);
    Drain(w);
    const int64_t midnight = WindowStart(clock_.NowMillis(), kDayMs) + kDayMs;
    EXPECT_EQ(GetJob(urgent.id).status, JobStatus::kComplete);
    EXPECT_EQ(VectorModel(urgent), kRealModel);
    Job waiting = GetJob(low.id);
    EXPECT_EQ(waiting.state, QueueState::kRetryable);
    ASSERT_TRUE(waiting.last_error.has_value());
    EXPECT_EQ(waiting.last_error->code, "BUDGET_EXCEEDED");
    EXPECT_EQ(waiting.retry_count, 0) << "a wait is no failed attempt";
    EXPECT_EQ(waiting.retry_at_ms, midnight) << "waits for the next window";

    clock_.Set(midnight - 1);
    EXPECT_FALSE(w.RunOnce()) << "claimed before the next window";
    clock_.Set(midnight);
    Drain(w);
    Job done = GetJob(low.id);
    EXPECT_EQ(done.status, JobStatus::kComplete);
    EXPECT_EQ(done.retry_count, 0);
    EXPECT_EQ(VectorModel(done), kRealModel);
  });
}

TEST_F(PriorityReserveTest, InHybridModeLowPriorityTakesTheFreeFallback) {
  Run(ServiceMode::kHybrid, [&](Worker& w) {
    Job low = Upload(testing::SyntheticPdf(2, "low"), "user-1", 0);
    Job urgent = Upload(testing::SyntheticPdf(2, "urgent"), "user-1", kUrgent);
    Drain(w);
    EXPECT_EQ(GetJob(urgent.id).status, JobStatus::kComplete);
    EXPECT_EQ(VectorModel(urgent), kRealModel);
    Job done = GetJob(low.id);
    EXPECT_EQ(done.status, JobStatus::kComplete);
    EXPECT_EQ(VectorModel(done), MockEmbedder::kModel);
    int budget_fallbacks = 0;
    for (const RouteDecision& d : decisions_) {
      if (d.service != "embed") continue;
      EXPECT_EQ(d.fallback_triggered, d.job_id == low.id) << d.job_id;
      if (d.fallback_triggered) {
        EXPECT_EQ(d.reason, "budget:BUDGET_EXCEEDED");
        ++budget_fallbacks;
      }
    }
    EXPECT_GT(budget_fallbacks, 0);
  });
}

}  // namespace
}  // namespace ingestd
