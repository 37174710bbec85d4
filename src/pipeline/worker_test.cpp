#include "pipeline/worker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <stdexcept>

#include "core/blob_names.h"
#include "pipeline/pipeline_test_env.h"

namespace ingestd {
namespace {

using testing::PipelineTestEnv;
using testing::SyntheticPdf;

class WorkerTest : public PipelineTestEnv {
 protected:
  // Runs RunOnce until it finds nothing to do; returns how many stages ran.
  int Drain(Worker& w) {
    int n = 0;
    while (w.RunOnce()) ++n;
    return n;
  }

  void ExpectCompleteWithoutDuplicates(const Job& job) {
    Job done = GetJob(job.id);
    EXPECT_EQ(done.status, JobStatus::kComplete);
    EXPECT_EQ(done.state, QueueState::kDone);
    auto chunks = store_->GetChunks(job.document_id);
    ASSERT_TRUE(chunks.ok());
    EXPECT_GT(chunks->size(), 0u);
    EXPECT_EQ(*store_->CountChunks(job.document_id), static_cast<int64_t>(chunks->size()));
    EXPECT_EQ(*store_->CountVectors(job.document_id), static_cast<int64_t>(chunks->size()));
  }
};

TEST_F(WorkerTest, RunsEveryStageToCompleteWithEvents) {
  Job job = Upload(SyntheticPdf(3, "happy"));
  Worker w(Deps(), options_, "w-1");
  const std::vector<JobStatus> expected = {JobStatus::kParsed, JobStatus::kParseValidated,
                                           JobStatus::kChunksStored, JobStatus::kEmbeddingsStored,
                                           JobStatus::kComplete};
  for (JobStatus status : expected) {
    ASSERT_TRUE(w.RunOnce());
    Job now = GetJob(job.id);
    EXPECT_EQ(now.status, status);
    EXPECT_TRUE(now.claimed_by.empty());
  }
  EXPECT_FALSE(w.RunOnce());
  ExpectCompleteWithoutDuplicates(job);

  EXPECT_EQ(EventCodes(job),
            (std::vector<std::string>{"UPLOAD_ACCEPTED", "UPLOAD_COMPLETED", "PARSE_STARTED",
                                      "PARSE_STORED", "VALIDATE_STARTED", "PARSE_VALIDATED",
                                      "CHUNK_STARTED", "CHUNKS_STORED", "EMBED_STARTED",
                                      "EMBEDDINGS_STORED", "FINALIZE_STARTED", "JOB_COMPLETED"}));
  auto events = store_->ListEvents(job.user_id, job.id);
  ASSERT_TRUE(events.ok());
  for (const Event& e : *events) EXPECT_EQ(e.correlation_id, job.correlation_id) << e.code;
  EXPECT_EQ(events->back().type, "finalized");

  Job done = GetJob(job.id);
  for (const char* stage : {"parse", "validate", "chunk", "embed", "finalize"}) {
    ASSERT_TRUE(done.timings.contains(stage)) << stage;
    EXPECT_TRUE(done.timings[stage].contains("started_at"));
    EXPECT_TRUE(done.timings[stage].contains("finished_at"));
    EXPECT_TRUE(done.timings[stage].contains("ms"));
  }
  auto doc = store_->GetDocumentUnscoped(job.document_id);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->page_count, 3);
}

TEST_F(WorkerTest, StoresNormalizedMarkdownChunksAndTextSeededVectors) {
  const std::string pdf = SyntheticPdf(5, "content");
  Job job = Upload(pdf);
  Worker w(Deps(), options_, "w-1");
  EXPECT_EQ(Drain(w), 5);
  auto md = blobs_->Get(MarkdownBlobKey(job.document_id));
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(*md, NormalizeMarkdown(MockParser::ParseBytes(pdf)->markdown));

  auto chunks = store_->GetChunks(job.document_id);
  ASSERT_TRUE(chunks.ok());
  auto expected = chunker_.Split(job.document_id, *md);
  ASSERT_EQ(chunks->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*chunks)[i].id, expected[i].id);
    EXPECT_EQ((*chunks)[i].text, expected[i].text);
  }
  auto vectors = store_->GetVectors(job.document_id);
  ASSERT_TRUE(vectors.ok());
  ASSERT_EQ(vectors->size(), chunks->size());
  for (size_t i = 0; i < vectors->size(); ++i) {
    EXPECT_EQ((*vectors)[i].chunk_id, (*chunks)[i].id);
    EXPECT_EQ((*vectors)[i].model, "mock-embed-1536");
    EXPECT_EQ((*vectors)[i].values, MockEmbedder::VectorFor((*chunks)[i].text));
  }
}

TEST_F(WorkerTest, CompletesARealManualInSmallEmbedBatches) {
  const std::string pdf = testing::ReadFileOrEmpty("/usr/share/R/doc/manual/R-FAQ.pdf");
  if (pdf.empty()) GTEST_SKIP() << "r-doc-pdf not installed";
  options_.embed_batch_size = 7;
  Job job = Upload(pdf);
  Worker w(Deps(), options_, "w-1");
  EXPECT_EQ(Drain(w), 5);
  ExpectCompleteWithoutDuplicates(job);
  EXPECT_EQ(store_->GetDocumentUnscoped(job.document_id)->page_count, 52);
}

TEST_F(WorkerTest, TransientFaultRetriesAfterBackoff) {
  MockParser flaky({.fail_first_n = 1});
  PipelineDeps deps = Deps();
  deps.parser = &flaky;
  Job job = Upload(SyntheticPdf(1, "flaky"));
  Worker w(deps, options_, "w-1");
  const int64_t t0 = clock_.NowMillis();

  ASSERT_TRUE(w.RunOnce());
  Job failed = GetJob(job.id);
  EXPECT_EQ(failed.state, QueueState::kRetryable);
  EXPECT_EQ(failed.retry_count, 1);
  // Equal jitter on a 1 s base: between 0.5 s and 1 s from now.
  EXPECT_GE(failed.retry_at_ms, t0 + 500);
  EXPECT_LE(failed.retry_at_ms, t0 + 1000);
  ASSERT_TRUE(failed.last_error.has_value());
  EXPECT_EQ(failed.last_error->code, "UPSTREAM_TRANSIENT");
  EXPECT_EQ(failed.last_error->stage, "parse");

  clock_.Set(failed.retry_at_ms - 1);
  EXPECT_FALSE(w.RunOnce()) << "claimed before retry_at";
  clock_.Set(failed.retry_at_ms);
  ASSERT_TRUE(w.RunOnce());
  EXPECT_EQ(GetJob(job.id).status, JobStatus::kParsed);
  Drain(w);
  ExpectCompleteWithoutDuplicates(job);
  auto codes = EventCodes(job);
  EXPECT_NE(std::find(codes.begin(), codes.end(), "RETRY_SCHEDULED"), codes.end());
}

TEST_F(WorkerTest, ExhaustedAttemptsDeadLetter) {
  MockEmbedder broken({.fail_first_n = 1000});
  PipelineDeps deps = Deps();
  deps.embedder = &broken;
  options_.max_attempts = 3;
  Job job = Upload(SyntheticPdf(1, "exhaust"));
  Worker w(deps, options_, "w-1");
  for (int i = 0; i < 10 && w.RunOnce(); ++i) clock_.Advance(options_.backoff.max_delay_ms);
  Job dead = GetJob(job.id);
  EXPECT_EQ(dead.state, QueueState::kDeadletter);
  EXPECT_EQ(dead.status, JobStatus::kEmbeddingInProgress);
  EXPECT_EQ(dead.retry_count, 2);  // attempts 1 and 2 were retried, attempt 3 was final
  ASSERT_TRUE(dead.last_error.has_value());
  EXPECT_EQ(dead.last_error->code, "UPSTREAM_TRANSIENT");
  EXPECT_EQ(dead.last_error->stage, "embed");
  EXPECT_EQ(EventCodes(job).back(), "DLQ_MOVED");
  EXPECT_EQ(*store_->CountVectors(job.document_id), 0);
}

// Workers that claim the job and die in the stage (crash, OOM, SIGKILL): their leases expire.
void ClaimAndDie(Store* store, FakeClock* clock, const PipelineOptions& options, int workers) {
  for (int i = 0; i < workers; ++i) {
    ASSERT_TRUE(store->ClaimNext("dead-" + std::to_string(i), clock->NowMillis(), options.lease_ms)
                    ->has_value());
    clock->Advance(options.lease_ms + 1);
  }
}

TEST_F(WorkerTest, AJobThatKeepsKillingItsWorkerDeadLettersWorkerLost) {
  options_.max_attempts = 3;
  Job job = Upload(SyntheticPdf(1, "poison"));
  ClaimAndDie(store_.get(), &clock_, options_, 3);
  Worker w(Deps(), options_, "w-1");
  ASSERT_TRUE(w.RunOnce());
  Job dead = GetJob(job.id);
  EXPECT_EQ(dead.state, QueueState::kDeadletter);
  EXPECT_EQ(dead.retry_count, 3);
  ASSERT_TRUE(dead.last_error.has_value());
  EXPECT_EQ(dead.last_error->code, "WORKER_LOST");
  EXPECT_EQ(dead.last_error->stage, "parse");
  auto events = store_->ListEvents(job.user_id, job.id);
  ASSERT_GE(events->size(), 2u);
  const Event& lost = (*events)[events->size() - 2];
  EXPECT_EQ(lost.code, "WORKER_LOST");
  EXPECT_EQ(lost.stage, "parse");
  EXPECT_EQ(lost.payload["lost_worker"], "dead-2");
  EXPECT_EQ(events->back().code, "DLQ_MOVED");
  EXPECT_EQ(events->back().payload["error"]["code"], "WORKER_LOST");
  EXPECT_EQ(*store_->CountChunks(job.document_id), 0) << "the stage did not run again";
}

TEST_F(WorkerTest, ALostWorkerWithinTheAttemptsIsTakenOverAndTheJobCompletes) {
  options_.max_attempts = 3;
  Job job = Upload(SyntheticPdf(1, "survivor"));
  ClaimAndDie(store_.get(), &clock_, options_, 2);
  Worker w(Deps(), options_, "w-1");
  Drain(w);
  ExpectCompleteWithoutDuplicates(job);
  EXPECT_EQ(GetJob(job.id).retry_count, 2);
  auto codes = EventCodes(job);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "WORKER_LOST"), 1);
}

TEST_F(WorkerTest, PermanentFaultDeadLettersAtOnce) {
  MockParser broken({.permanent = true});
  PipelineDeps deps = Deps();
  deps.parser = &broken;
  Job job = Upload(SyntheticPdf(1, "permanent"));
  Worker w(deps, options_, "w-1");
  ASSERT_TRUE(w.RunOnce());
  Job dead = GetJob(job.id);
  EXPECT_EQ(dead.state, QueueState::kDeadletter);
  EXPECT_EQ(dead.retry_count, 0);
  EXPECT_EQ(dead.last_error->code, "UPSTREAM_PERMANENT");
  EXPECT_EQ(dead.last_error->stage, "parse");
  EXPECT_EQ(dead.last_error->at_ms, clock_.NowMillis());
  EXPECT_FALSE(w.RunOnce());
}

TEST_F(WorkerTest, NotAPdfDeadLetters) {
  Job job = Upload("%PDF");  // too short to be "%PDF-"
  Worker w(Deps(), options_, "w-1");
  ASSERT_TRUE(w.RunOnce());
  EXPECT_EQ(GetJob(job.id).last_error->code, "PARSE_NOT_A_PDF");
  EXPECT_EQ(GetJob(job.id).state, QueueState::kDeadletter);
}

TEST_F(WorkerTest, ValidateNormalizesMarkdownStoredByOtherMeans) {
  Job job = Upload(SyntheticPdf(1, "raw"));
  Worker w(Deps(), options_, "w-1");
  ASSERT_TRUE(w.RunOnce());  // parse stores normalized markdown
  // Markdown that arrived some other way (an older version, a provider callback).
  const std::string key = MarkdownBlobKey(job.document_id);
  ASSERT_TRUE(blobs_->Put(key, std::string("\r\n# Page 1\r\n\r\nText\0.\r\n", 22)).ok());
  ASSERT_TRUE(w.RunOnce());
  EXPECT_EQ(GetJob(job.id).status, JobStatus::kParseValidated);
  EXPECT_EQ(*blobs_->Get(key), "# Page 1\n\nText.");
}

// A parser whose budget is exhausted for the first `refusals` calls, like the router in real
// mode; then it parses like the mock.
class BudgetRefusingParser final : public Parser {
 public:
  explicit BudgetRefusingParser(int refusals) : refusals_(refusals) {}
  std::string name() const override { return "budget"; }
  Result<ParseOutput> Parse(const ParseInput& in, const CallContext& ctx) override {
    if (refusals_-- > 0) {
      return Status::Error(Kind::kBudgetExceeded, "BUDGET_EXCEEDED", "no room", true)
          .WithRetryAfterMs(3'600'000);
    }
    return mock_.Parse(in, ctx);
  }

 private:
  int refusals_;
  MockParser mock_;
};

TEST_F(WorkerTest, ExhaustedBudgetWaitsForTheNextWindowAndNeverDeadLetters) {
  BudgetRefusingParser refusing(5);
  PipelineDeps deps = Deps();
  deps.parser = &refusing;
  options_.max_attempts = 3;
  Job job = Upload(SyntheticPdf(1, "budget"));
  Worker w(deps, options_, "w-1");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(w.RunOnce());
    Job waiting = GetJob(job.id);
    ASSERT_EQ(waiting.state, QueueState::kRetryable) << "refusal " << i;
    EXPECT_EQ(waiting.last_error->code, "BUDGET_EXCEEDED");
    EXPECT_EQ(waiting.retry_count, 0) << "a wait is no failed attempt";
    clock_.Advance(3'600'000 - 1);
    EXPECT_FALSE(w.RunOnce()) << "claimed before the next window";
    clock_.Advance(1);
  }
  Drain(w);
  ExpectCompleteWithoutDuplicates(job);
}

// A parser that finds no text at all.
class BlankParser final : public Parser {
 public:
  std::string name() const override { return "blank"; }
  Result<ParseOutput> Parse(const ParseInput&, const CallContext&) override {
    ParseOutput out;
    out.markdown = std::string(" \r\n\t", 4) + std::string(1, '\0') + "\r\n";
    out.page_count = 1;
    return out;
  }
};

// A parser that throws the first `throws` times, then parses like the mock.
class ThrowingParser final : public Parser {
 public:
  explicit ThrowingParser(int throws) : throws_(throws) {}
  std::string name() const override { return "throwing"; }
  Result<ParseOutput> Parse(const ParseInput& in, const CallContext& ctx) override {
    if (throws_-- > 0) throw std::runtime_error("injected");
    return mock_.Parse(in, ctx);
  }

 private:
  int throws_;
  MockParser mock_;
};

TEST_F(WorkerTest, AStageThatThrowsFailsRetryablyAndTheWorkerGoesOn) {
  ThrowingParser throwing(1);
  PipelineDeps deps = Deps();
  deps.parser = &throwing;
  Job job = Upload(SyntheticPdf(2, "throws"));
  Worker w(deps, options_, "w-1");
  ASSERT_TRUE(w.RunOnce());
  Job failed = GetJob(job.id);
  EXPECT_EQ(failed.state, QueueState::kRetryable);
  ASSERT_TRUE(failed.last_error.has_value());
  EXPECT_EQ(failed.last_error->code, "STAGE_THREW");
  EXPECT_EQ(failed.last_error->stage, "parse");
  EXPECT_TRUE(failed.claimed_by.empty()) << "the claim is given back";
  clock_.Set(failed.retry_at_ms);
  Drain(w);
  ExpectCompleteWithoutDuplicates(job);
}

TEST_F(WorkerTest, AStageThatAlwaysThrowsDeadLettersAfterMaxAttempts) {
  ThrowingParser throwing(1000);
  PipelineDeps deps = Deps();
  deps.parser = &throwing;
  options_.max_attempts = 3;
  Job job = Upload(SyntheticPdf(1, "always-throws"));
  Worker w(deps, options_, "w-1");
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_TRUE(w.RunOnce()) << "attempt " << attempt;
    clock_.Set(GetJob(job.id).retry_at_ms);
  }
  Job dead = GetJob(job.id);
  EXPECT_EQ(dead.state, QueueState::kDeadletter);
  EXPECT_EQ(dead.last_error->code, "STAGE_THREW");
}

TEST_F(WorkerTest, EmptyMarkdownFailsValidation) {
  BlankParser blank;
  PipelineDeps deps = Deps();
  deps.parser = &blank;
  Job job = Upload(SyntheticPdf(1, "blank"));
  Worker w(deps, options_, "w-1");
  ASSERT_TRUE(w.RunOnce());
  ASSERT_TRUE(w.RunOnce());
  Job dead = GetJob(job.id);
  EXPECT_EQ(dead.state, QueueState::kDeadletter);
  EXPECT_EQ(dead.status, JobStatus::kParsed);
  EXPECT_EQ(dead.last_error->code, "PARSE_EMPTY");
  EXPECT_EQ(dead.last_error->stage, "validate");
}

TEST_F(WorkerTest, ExpiredLeaseIsReclaimedWithoutDuplicates) {
  Job job = Upload(SyntheticPdf(4, "crash"));
  Worker w(Deps(), options_, "w-live");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.RunOnce());  // up to chunks_stored
  // Another worker claims the embed stage, enters it and dies without committing.
  auto claimed = store_->ClaimNext("w-dead", clock_.NowMillis(), options_.lease_ms);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  StageCommit enter;
  enter.job_id = job.id;
  enter.worker_id = "w-dead";
  enter.to = JobStatus::kEmbeddingInProgress;
  enter.next_state = QueueState::kWorking;
  enter.now_ms = clock_.NowMillis();
  ASSERT_TRUE(store_->CommitStage(enter).ok());

  EXPECT_FALSE(w.RunOnce()) << "a live lease must not be stolen";
  clock_.Advance(options_.lease_ms + 1);
  EXPECT_EQ(Drain(w), 2);  // embed, finalize
  ExpectCompleteWithoutDuplicates(job);
  EXPECT_EQ(GetJob(job.id).retry_count, 1);  // the lost lease was an attempt
}

// Runs hook(n) inside the n-th Embed call (1-based), as if the call took that long.
class HookedEmbedder final : public Embedder {
 public:
  explicit HookedEmbedder(std::function<void(int)> hook) : hook_(std::move(hook)) {}
  std::string name() const override { return inner_.name(); }
  std::string model() const override { return inner_.model(); }
  int dimensions() const override { return inner_.dimensions(); }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts,
                            const CallContext& ctx) override {
    hook_(++calls_);
    return inner_.Embed(texts, ctx);
  }
  int calls() const { return calls_; }

 private:
  std::function<void(int)> hook_;
  int calls_ = 0;
  MockEmbedder inner_;
};

// Like a provider that takes one request per text: each text's vector is reported to the
// call's EmbedSink as it is "answered" and counted as paid; call fail_call fails (retryably)
// after fail_after of its texts were answered.
class PerTextEmbedder final : public Embedder {
 public:
  PerTextEmbedder(int fail_call, size_t fail_after)
      : fail_call_(fail_call), fail_after_(fail_after) {}
  std::string name() const override { return inner_.name(); }
  std::string model() const override { return inner_.model(); }
  int dimensions() const override { return inner_.dimensions(); }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts,
                            const CallContext& ctx) override {
    const bool fail = ++calls_ == fail_call_;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (fail && i == fail_after_) {
        return Status::Error(Kind::kUnavailable, "UPSTREAM_UNAVAILABLE", "request failed", true);
      }
      ++paid_;
      if (ctx.embedded == nullptr) continue;
      Status s =
          ctx.embedded->Accept({i}, {MockEmbedder::VectorFor(texts[i])}, model(), dimensions());
      if (!s.ok()) return s;
    }
    return inner_.Embed(texts, ctx);
  }
  int64_t paid() const { return paid_; }

 private:
  const int fail_call_;
  const size_t fail_after_;
  int calls_ = 0;
  int64_t paid_ = 0;  // texts "answered" by the provider, retries included
  MockEmbedder inner_;
};

TEST_F(WorkerTest, ARetriedEmbedPaysOnlyForTheChunksWithoutVectors) {
  Job job = Upload(SyntheticPdf(6, "embed-once"));
  Worker w(Deps(), options_, "w-1");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.RunOnce());
  const int64_t chunks = *store_->CountChunks(job.document_id);
  ASSERT_GE(chunks, 4);

  PerTextEmbedder flaky(/*fail_call=*/3, /*fail_after=*/0);  // the third batch fails
  PipelineDeps deps = Deps();
  deps.embedder = &flaky;
  options_.embed_batch_size = 1;
  Worker embedding(deps, options_, "w-2");
  ASSERT_TRUE(embedding.RunOnce());
  Job failed = GetJob(job.id);
  ASSERT_EQ(failed.state, QueueState::kRetryable);
  EXPECT_EQ(*store_->CountVectors(job.document_id), 2);  // the batches before it are kept
  clock_.Set(failed.retry_at_ms);
  ASSERT_TRUE(embedding.RunOnce());
  EXPECT_EQ(GetJob(job.id).status, JobStatus::kEmbeddingsStored);
  Drain(embedding);
  ExpectCompleteWithoutDuplicates(job);
  EXPECT_EQ(flaky.paid(), chunks);  // every chunk paid for once
  auto events = store_->ListEvents(job.user_id, job.id);
  ASSERT_TRUE(events.ok());
  const auto stored = std::find_if(events->begin(), events->end(),
                                   [](const Event& e) { return e.code == "EMBEDDINGS_STORED"; });
  ASSERT_NE(stored, events->end());
  EXPECT_EQ(stored->payload["reused_vectors"], 2);
  EXPECT_EQ(stored->payload["vectors"], chunks - 2);
}

TEST_F(WorkerTest, AFailedEmbedCallKeepsTheRequestsItReported) {
  Job job = Upload(SyntheticPdf(6, "embed-parts"));
  Worker w(Deps(), options_, "w-1");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.RunOnce());
  const int64_t chunks = *store_->CountChunks(job.document_id);
  ASSERT_GE(chunks, 4);

  // One call for the whole document; its third request fails after two were answered.
  PerTextEmbedder flaky(/*fail_call=*/1, /*fail_after=*/2);
  PipelineDeps deps = Deps();
  deps.embedder = &flaky;
  Worker embedding(deps, options_, "w-2");
  ASSERT_TRUE(embedding.RunOnce());
  Job failed = GetJob(job.id);
  ASSERT_EQ(failed.state, QueueState::kRetryable);
  EXPECT_EQ(*store_->CountVectors(job.document_id), 2);
  clock_.Set(failed.retry_at_ms);
  Drain(embedding);
  ExpectCompleteWithoutDuplicates(job);
  EXPECT_EQ(flaky.paid(), chunks);
}

TEST_F(WorkerTest, ACancelledEmbedStopsAfterStoringAndReleasesItsClaim) {
  Job job = Upload(SyntheticPdf(6, "embed-cancel"));
  Worker w(Deps(), options_, "w-1");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.RunOnce());
  const int64_t chunks = *store_->CountChunks(job.document_id);
  ASSERT_GE(chunks, 4);

  PipelineDeps deps = Deps();
  Worker* running = nullptr;
  HookedEmbedder stopping([&](int call) {
    if (call == 2) running->Cancel();  // shutdown while the second request is out
  });
  deps.embedder = &stopping;
  options_.embed_batch_size = 1;
  Worker embedding(deps, options_, "w-2");
  running = &embedding;
  ASSERT_TRUE(embedding.RunOnce());
  EXPECT_EQ(stopping.calls(), 2);  // nothing was sent after the cancel
  Job released = GetJob(job.id);
  EXPECT_EQ(released.status, JobStatus::kEmbeddingInProgress);
  EXPECT_EQ(released.state, QueueState::kQueued);
  EXPECT_TRUE(released.claimed_by.empty());
  EXPECT_EQ(released.retry_count, 0);  // no attempt used
  EXPECT_FALSE(released.last_error.has_value());
  EXPECT_EQ(*store_->CountVectors(job.document_id), 2);  // the answered request was kept
  const auto codes = EventCodes(job);
  EXPECT_NE(std::find(codes.begin(), codes.end(), "STAGE_CANCELLED"), codes.end());

  Worker next(Deps(), options_, "w-3");
  Drain(next);
  ExpectCompleteWithoutDuplicates(job);
}

TEST_F(WorkerTest, StalledWorkerDropsItsResultWhenTheLeaseWasTakenOver) {
  Job job = Upload(SyntheticPdf(2, "stall"));
  PipelineDeps deps = Deps();
  Worker rescuer(deps, options_, "w-rescuer");
  HookedEmbedder stalling([&](int call) {
    if (call > 1) return;
    clock_.Advance(options_.lease_ms + 1);
    EXPECT_TRUE(rescuer.RunOnce());  // takes the expired lease and embeds
  });
  deps.embedder = &stalling;
  Worker stalled(deps, options_, "w-stalled");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(stalled.RunOnce());
  ASSERT_TRUE(stalled.RunOnce());  // embed: stalls, the rescuer finishes it, LEASE_LOST

  Job after = GetJob(job.id);
  EXPECT_EQ(after.status, JobStatus::kEmbeddingsStored);
  EXPECT_EQ(after.state, QueueState::kQueued);
  EXPECT_EQ(after.retry_count, 1);  // the stalled lease was an attempt
  EXPECT_FALSE(after.last_error.has_value());
  EXPECT_EQ(Drain(rescuer), 1);
  ExpectCompleteWithoutDuplicates(job);
}

TEST_F(WorkerTest, HeartbeatExtendsTheLease) {
  Job job = Upload(SyntheticPdf(1, "beat"));
  PipelineDeps deps = Deps();
  Worker* self = nullptr;
  int64_t lease_after_beat = 0;
  HookedEmbedder beating([&](int call) {
    if (call > 1) return;
    clock_.Advance(1000);
    self->Heartbeat();
    lease_after_beat = GetJob(job.id).lease_expires_at_ms;
  });
  deps.embedder = &beating;
  Worker w(deps, options_, "w-1");
  self = &w;
  Drain(w);
  EXPECT_EQ(lease_after_beat, clock_.NowMillis() + options_.lease_ms);
  ExpectCompleteWithoutDuplicates(job);
}

TEST_F(WorkerTest, LongEmbedStageRecordsProgress) {
  Job job = Upload(SyntheticPdf(6, "progress"));
  Worker w(Deps(), options_, "w-1");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.RunOnce());
  const int64_t chunks = *store_->CountChunks(job.document_id);
  ASSERT_GE(chunks, 4);

  PipelineDeps deps = Deps();
  std::vector<int> seen;
  HookedEmbedder slow([&](int) {
    seen.push_back(GetJob(job.id).stage_pct);
    clock_.Advance(options_.progress_interval_ms);
  });
  deps.embedder = &slow;
  options_.embed_batch_size = 1;
  Worker embedding(deps, options_, "w-2");
  ASSERT_TRUE(embedding.RunOnce());
  ASSERT_EQ(seen.size(), static_cast<size_t>(chunks));
  EXPECT_EQ(seen.front(), 0);
  EXPECT_GT(seen.back(), 50);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  Job after = GetJob(job.id);
  EXPECT_EQ(after.status, JobStatus::kEmbeddingsStored);
  EXPECT_EQ(after.stage_pct, 0);  // progress is per status
}

TEST_F(WorkerTest, ProgressNoticesALostLeaseAndStopsCallingTheEmbedder) {
  Job job = Upload(SyntheticPdf(6, "abort"));
  Worker w(Deps(), options_, "w-1");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.RunOnce());
  PipelineDeps deps = Deps();
  HookedEmbedder stalling([&](int call) {
    if (call > 1) return;
    clock_.Advance(options_.lease_ms + 1);
    auto stolen = store_->ClaimNext("w-other", clock_.NowMillis(), options_.lease_ms);
    EXPECT_TRUE(stolen.ok() && stolen->has_value());
  });
  deps.embedder = &stalling;
  options_.embed_batch_size = 1;
  Worker stalled(deps, options_, "w-stalled");
  ASSERT_TRUE(stalled.RunOnce());
  EXPECT_EQ(stalling.calls(), 1);
  Job after = GetJob(job.id);
  EXPECT_EQ(after.claimed_by, "w-other");
  EXPECT_EQ(after.retry_count, 1);  // the taken-over lease was an attempt
  EXPECT_EQ(*store_->CountVectors(job.document_id), 0);
}

}  // namespace
}  // namespace ingestd
