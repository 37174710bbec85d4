// Work that can wait through the OpenAI Batch API (issue 16 §2): workers with the real
// embedder, the batch queue and the Batcher, against the fake OpenAI over sockets, stepped
// deterministically (Worker::RunOnce, Batcher::Tick, a FakeClock; the fake's batches move one
// step per poll). Low-priority jobs park as embedding_batched, many share one batch, the
// ledger is charged at the batch price from each line's usage, and every chunk ends with one
// vector — also when a batch outlives a restart, expires, or has lines that fail.
#include <gtest/gtest.h>

#include "batch/batcher.h"
#include "batch/sqlite_batch_store.h"
#include "ledger/sqlite_ledger.h"
#include "pipeline/pipeline_test_env.h"
#include "pipeline/stages.h"
#include "pipeline/worker.h"
#include "services/http/curl_http_client.h"
#include "services/openai_batch_client.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::testing {
namespace {

using fakes::BatchOutcome;
using fakes::BatchPlan;
using fakes::FakeOpenAiServer;

constexpr char kModel[] = "text-embedding-3-small";
constexpr int64_t kFlushMs = 1'000;

class BatchPipelineTest : public PipelineTestEnv {
 protected:
  void SetUp() override {
    PipelineTestEnv::SetUp();
    OpenAiEmbedderConfig oa;
    oa.api_key = fakes::kOpenAiTestKey;
    oa.base_url = openai_.base_url();
    auto embedder = OpenAiEmbedder::Create(oa, {&client_, &env_, &clock_});
    ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
    embedder_real_ = std::move(*embedder);
    auto batch_client =
        OpenAiBatchClient::Create(oa, {&client_, &env_, &clock_, nullptr, nullptr, dir_});
    ASSERT_TRUE(batch_client.ok()) << batch_client.status().ToString();
    batch_client_ = std::move(*batch_client);
    auto ledger = SqliteLedger::Open(dir_ + "/db.sqlite", &clock_, LedgerOptions{});
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(*ledger);
    Restart("p1");
    options_.batch_below_priority = 1;  // the default priority, 0, can wait
    options_.embed_batch_size = 2048;
  }

  // A new process: its own batch store connection and batcher (the fake's batches stay).
  void Restart(const std::string& holder) {
    batcher_.reset();
    auto queue = SqliteBatchStore::Open(dir_ + "/db.sqlite", kModel);
    ASSERT_TRUE(queue.ok()) << queue.status().ToString();
    queue_ = std::move(*queue);
    BatcherOptions bo;
    bo.holder = holder;
    bo.flush_ms = kFlushMs;
    bo.failed_lines = failed_lines_;
    bo.max_file_bytes = max_file_bytes_;
    batcher_ =
        std::make_unique<Batcher>(BatcherDeps{queue_.get(), store_.get(), batch_client_.get(),
                                              ledger_.get(), &prices_, &clock_},
                                  bo);
  }

  PipelineDeps BatchDeps() {
    PipelineDeps d{store_.get(), blobs_.get(), &parser_, embedder_real_.get(), &chunker_, &clock_};
    d.batches = queue_.get();
    return d;
  }

  // Runs every runnable stage.
  void Drain() {
    Worker w(BatchDeps(), options_, "w1");
    for (int i = 0; i < 500 && w.RunOnce(); ++i) {
    }
  }

  // Batcher steps until no batch of ours is open (each step polls each batch once).
  void TickUntilSettled() {
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(batcher_->Tick().ok());
      auto open = queue_->OpenRuns();
      ASSERT_TRUE(open.ok());
      if (open->empty()) return;
    }
    FAIL() << "a batch is still open";
  }

  // Past the flush delay: the batcher sends what waits and runs it to the end; then the woken
  // jobs run.
  void FlushAndSettle() {
    clock_.Advance(kFlushMs);
    TickUntilSettled();
    Drain();
  }

  std::vector<Job> UploadMany(int n, int priority = 0) {
    std::vector<Job> jobs;
    for (int i = 0; i < n; ++i) {
      jobs.push_back(Upload(SyntheticPdf(2, "batch-" + std::to_string(i)), "user-1", priority));
    }
    return jobs;
  }

  // Every chunk of the job's document has exactly one vector, the fake's for its text.
  void ExpectOneVectorPerChunk(const Job& job) {
    auto chunks = store_->GetChunks(job.document_id);
    auto vectors = store_->GetVectors(job.document_id);
    ASSERT_TRUE(chunks.ok() && vectors.ok());
    ASSERT_FALSE(chunks->empty());
    ASSERT_EQ(vectors->size(), chunks->size());
    for (const Chunk& c : *chunks) {
      int found = 0;
      for (const VectorRecord& v : *vectors) {
        if (v.chunk_id != c.id) continue;
        ++found;
        EXPECT_EQ(v.model, kModel);
        EXPECT_EQ(v.values, FakeOpenAiServer::VectorFor(kModel, 1536, c.text));
      }
      EXPECT_EQ(found, 1) << c.id;
    }
  }

  // Parks the job, then runs its batch with the line of its first chunk failing, and the
  // job again once woken: that chunk.
  Chunk RunWithFirstLineFailing(const Job& job) {
    Drain();
    auto chunks = store_->GetChunks(job.document_id);
    EXPECT_TRUE(chunks.ok() && !chunks->empty());
    if (!chunks.ok() || chunks->empty()) return Chunk{};
    BatchPlan failing;
    failing.failing_custom_ids = {chunks->front().id};
    openai_.PushBatchPlan(failing);
    FlushAndSettle();
    return chunks->front();
  }

  int64_t TokensOf(const std::vector<Job>& jobs) {
    int64_t n = 0;
    for (const Job& j : jobs) {
      auto chunks = store_->GetChunks(j.document_id);
      EXPECT_TRUE(chunks.ok());
      for (const Chunk& c : *chunks) n += batch_client_->CountTokens(c.text);
    }
    return n;
  }

  // The ledger's report up to now, of one service ("": every service).
  CostReport LedgerCosts(const std::string& service) {
    CostQuery q;
    q.from_ms = 0;
    q.to_ms = clock_.NowMillis() + 1;
    q.service = service;
    auto costs = ledger_->Costs(q);
    EXPECT_TRUE(costs.ok()) << costs.status().ToString();
    return costs.ok() ? *costs : CostReport{};
  }

  int64_t LedgerEmbedNanos() {
    int64_t sum = 0;
    for (const CostRow& r : LedgerCosts("embed").rows) sum += r.cost_nanos;
    return sum;
  }

  int Count(const std::vector<std::string>& codes, const std::string& code) {
    return static_cast<int>(std::count(codes.begin(), codes.end(), code));
  }

  FakeOpenAiServer openai_;
  http::CurlHttpClient client_;
  http::FakeRetryEnv env_;
  PriceTable prices_;
  FailedLines failed_lines_ = FailedLines::kSync;
  int64_t max_file_bytes_ = BatcherOptions{}.max_file_bytes;
  std::unique_ptr<OpenAiEmbedder> embedder_real_;
  std::unique_ptr<OpenAiBatchClient> batch_client_;
  std::unique_ptr<SqliteLedger> ledger_;
  std::unique_ptr<SqliteBatchStore> queue_;
  std::unique_ptr<Batcher> batcher_;
};

TEST_F(BatchPipelineTest, TwentyLowPriorityDocumentsShareOneBatchAtHalfTheSyncPrice) {
  const std::vector<Job> jobs = UploadMany(20);
  Drain();
  for (const Job& j : jobs) {
    const Job parked = GetJob(j.id);
    EXPECT_EQ(parked.status, JobStatus::kEmbeddingBatched);
    EXPECT_EQ(parked.state, QueueState::kRetryable);  // holding no worker
  }
  ASSERT_TRUE(batcher_->Tick().ok());
  EXPECT_EQ(openai_.batches_created(), 0);  // the oldest has not waited flush_ms yet
  FlushAndSettle();
  for (const Job& j : jobs) {
    const Job done = GetJob(j.id);
    EXPECT_EQ(done.status, JobStatus::kComplete);
    ExpectOneVectorPerChunk(done);
    EXPECT_EQ(Count(EventCodes(done), kEmbedBatchDoneCode), 1);
  }
  EXPECT_EQ(openai_.batches_created(), 1);
  EXPECT_EQ(openai_.batch_files_uploaded(), 1);
  EXPECT_EQ(openai_.billed_tokens(), 0);  // nothing through the synchronous API
  const int64_t tokens = TokensOf(jobs);
  EXPECT_EQ(openai_.batch_billed_tokens(), tokens);
  // The ledger charged the batch price from the lines' usage: half the synchronous cost.
  EXPECT_EQ(LedgerEmbedNanos(), prices_.EmbedBatchCost(kModel, tokens));
  EXPECT_EQ(2 * LedgerEmbedNanos(), prices_.EmbedCost(kModel, tokens));
}

TEST_F(BatchPipelineTest, ABatchStillInProgressIsResumedAfterARestartNeverCreatedTwice) {
  BatchPlan held;
  held.hold_in_progress = true;
  openai_.PushBatchPlan(held);
  const std::vector<Job> jobs = UploadMany(2);
  Drain();
  clock_.Advance(kFlushMs);
  ASSERT_TRUE(batcher_->Tick().ok());  // packs, uploads, creates
  ASSERT_TRUE(batcher_->Tick().ok());  // validating → in_progress
  ASSERT_EQ(openai_.batches_created(), 1);
  const std::string batch_id = openai_.batches().front().id;

  // The process dies; another takes the batcher lease once the old one lapsed.
  Restart("p2");
  ASSERT_TRUE(batcher_->Tick().ok());
  EXPECT_EQ(openai_.batches().front().polls, 1);  // p1 still leads: p2 sent nothing
  clock_.Advance(BatcherOptions{}.lease_ms);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(batcher_->Tick().ok());
  EXPECT_EQ(openai_.batches().front().status, "in_progress");
  EXPECT_EQ(openai_.batches().front().polls, 4);
  for (const Job& j : jobs) EXPECT_EQ(GetJob(j.id).status, JobStatus::kEmbeddingBatched);

  openai_.ReleaseBatch(batch_id);
  TickUntilSettled();
  Drain();
  for (const Job& j : jobs) {
    EXPECT_EQ(GetJob(j.id).status, JobStatus::kComplete);
    ExpectOneVectorPerChunk(GetJob(j.id));
  }
  ASSERT_EQ(openai_.batches_created(), 1);
  EXPECT_EQ(openai_.batches().front().id, batch_id);
  EXPECT_EQ(openai_.billed_tokens(), 0);
}

TEST_F(BatchPipelineTest, AnExpiredBatchFallsBackToTheSyncApiWithAJobEvent) {
  BatchPlan expiring;
  expiring.outcome = BatchOutcome::kExpired;
  expiring.lines_before_expiry = 1;
  openai_.PushBatchPlan(expiring);
  const std::vector<Job> jobs = UploadMany(2);
  Drain();
  FlushAndSettle();
  const int64_t tokens = TokensOf(jobs);
  int fallbacks = 0;
  for (const Job& j : jobs) {
    const Job done = GetJob(j.id);
    EXPECT_EQ(done.status, JobStatus::kComplete);
    ExpectOneVectorPerChunk(done);
    fallbacks += Count(EventCodes(done), kEmbedBatchFallbackCode);
  }
  EXPECT_EQ(fallbacks, 2);  // both jobs had lines the expiry left unrun
  EXPECT_EQ(openai_.batches_created(), 1);
  EXPECT_GT(openai_.batch_billed_tokens(), 0);
  // What ran in the batch was not paid again: the rest went through the synchronous API.
  EXPECT_EQ(openai_.batch_billed_tokens() + openai_.billed_tokens(), tokens);
  EXPECT_EQ(LedgerEmbedNanos(), prices_.EmbedBatchCost(kModel, openai_.batch_billed_tokens()));
}

TEST_F(BatchPipelineTest, FailedLinesGoToTheSyncApiByDefault) {
  const Job job = UploadMany(1).front();
  const Chunk first = RunWithFirstLineFailing(job);
  const Job done = GetJob(job.id);
  EXPECT_EQ(done.status, JobStatus::kComplete);
  ExpectOneVectorPerChunk(done);
  EXPECT_EQ(Count(EventCodes(done), kEmbedBatchFallbackCode), 1);
  EXPECT_EQ(openai_.batches_created(), 1);
  EXPECT_EQ(openai_.billed_tokens(), batch_client_->CountTokens(first.text));
}

TEST_F(BatchPipelineTest, FailedLinesGoThroughALaterBatchWhenAsked) {
  failed_lines_ = FailedLines::kBatch;
  Restart("p1");
  const Job job = UploadMany(1).front();
  const Chunk first = RunWithFirstLineFailing(job);
  const Job done = GetJob(job.id);
  EXPECT_EQ(done.status, JobStatus::kComplete);
  ExpectOneVectorPerChunk(done);
  EXPECT_EQ(Count(EventCodes(done), kEmbedBatchDoneCode), 1);
  EXPECT_EQ(openai_.batches_created(), 2);  // the failed line went again, alone
  EXPECT_EQ(openai_.batches().back().custom_ids, std::vector<std::string>{first.id});
  EXPECT_EQ(openai_.billed_tokens(), 0);
  EXPECT_EQ(openai_.batch_billed_tokens(), TokensOf({job}));
}

TEST_F(BatchPipelineTest, ChunksPastTheFileSizeWaitForTheNextBatch) {
  max_file_bytes_ = 1;  // every line is past it: one chunk a batch (the first always goes)
  Restart("p1");
  const std::vector<Job> jobs = UploadMany(2);
  Drain();
  FlushAndSettle();
  int64_t chunks = 0;
  for (const Job& j : jobs) {
    EXPECT_EQ(GetJob(j.id).status, JobStatus::kComplete);
    ExpectOneVectorPerChunk(GetJob(j.id));
    chunks += *store_->CountChunks(j.document_id);
  }
  EXPECT_EQ(openai_.batches_created(), chunks);
  for (const auto& b : openai_.batches()) EXPECT_EQ(b.custom_ids.size(), 1u);
  EXPECT_EQ(openai_.billed_tokens(), 0);
  EXPECT_EQ(LedgerEmbedNanos(), prices_.EmbedBatchCost(kModel, TokensOf(jobs)));
}

// The batcher's size estimate is below what the API takes here: the upload is refused (400)
// and would be on every try, so the jobs go to the synchronous API instead of waiting forever.
TEST_F(BatchPipelineTest, AFileTheApiRefusesSendsItsChunksToTheSyncApi) {
  openai_.SetBatchMaxFileBytes(1);
  const std::vector<Job> jobs = UploadMany(2);
  Drain();
  FlushAndSettle();
  for (const Job& j : jobs) {
    const Job done = GetJob(j.id);
    EXPECT_EQ(done.status, JobStatus::kComplete);
    ExpectOneVectorPerChunk(done);
    EXPECT_EQ(Count(EventCodes(done), kEmbedBatchFallbackCode), 1);
  }
  EXPECT_EQ(openai_.batch_files_uploaded(), 0);
  EXPECT_EQ(openai_.batches_created(), 0);
  EXPECT_EQ(openai_.billed_tokens(), TokensOf(jobs));
  // The batch reservations went back unspent (this fixture's synchronous embedder has no
  // ledger of its own: nothing else reserves here).
  EXPECT_EQ(LedgerEmbedNanos(), 0);
  EXPECT_EQ(LedgerCosts("").open_reservations, 0);
}

TEST_F(BatchPipelineTest, AnUploadThatAsksForTheBatchWaitsWhateverItsPriority) {
  options_.batch_below_priority.reset();
  const Job urgent = Upload(SyntheticPdf(1, "urgent"), "user-1", 5);
  const Job asked = Upload(SyntheticPdf(1, "asked"), "user-1", 5, {{"embed_via", "batch"}});
  Drain();
  EXPECT_EQ(GetJob(urgent.id).status, JobStatus::kComplete);  // synchronous
  const int64_t sync_tokens = openai_.billed_tokens();
  EXPECT_EQ(sync_tokens, TokensOf({urgent}));
  EXPECT_EQ(GetJob(asked.id).status, JobStatus::kEmbeddingBatched);
  FlushAndSettle();
  EXPECT_EQ(GetJob(asked.id).status, JobStatus::kComplete);
  EXPECT_EQ(openai_.billed_tokens(), sync_tokens);
  EXPECT_EQ(openai_.batch_billed_tokens(), TokensOf({asked}));
}

}  // namespace
}  // namespace ingestd::testing
