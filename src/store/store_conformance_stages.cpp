// Conformance: CommitStage atomicity and idempotency, vector storage.
#include <cmath>
#include <cstring>
#include <limits>

#include "store/store_conformance.h"

namespace ingestd {
namespace {

using ::testing::ElementsAre;

TEST_P(StoreConformanceTest, CommitStageAppliesEverythingAndReleases) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0 + 1);
  StageCommit c = MakeCommit(job.id, "w1", JobStatus::kChunksStored, QueueState::kQueued);
  c.chunks = MakeChunks(up.document.id, 3);
  c.page_count = 12;
  c.stage_pct = 40;
  c.events = {Event{0, "", "", "stage_done", "CHUNKS_STORED", "chunk", {{"n", 3}}, kT0 + 2}};
  c.timings_patch = {{"chunk", {{"started_at", kT0 + 1}, {"ms", 7}}}};
  c.now_ms = kT0 + 2;
  ASSERT_TRUE(store_->CommitStage(c).ok());

  auto stored = store_->GetJob("u1", job.id);
  EXPECT_EQ(stored->status, JobStatus::kChunksStored);
  EXPECT_EQ(stored->state, QueueState::kQueued);
  EXPECT_EQ(stored->claimed_by, "");
  EXPECT_EQ(stored->lease_expires_at_ms, 0);
  EXPECT_EQ(stored->stage_pct, 40);
  EXPECT_EQ(stored->updated_at_ms, kT0 + 2);
  EXPECT_EQ(stored->timings["chunk"]["ms"], 7);
  EXPECT_EQ(store_->GetDocument("u1", up.document.id)->page_count, 12);
  EXPECT_EQ(*store_->CountChunks(up.document.id), 3);
  auto events = store_->ListEvents("u1", job.id);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].code, "CHUNKS_STORED");
  EXPECT_EQ((*events)[1].job_id, job.id);                      // defaulted
  EXPECT_EQ((*events)[1].correlation_id, job.correlation_id);  // defaulted
  EXPECT_EQ((*events)[1].payload["n"], 3);
  // Released to the queue: claimable again for the next stage.
  EXPECT_EQ(MustClaim("w2", kT0 + 3).id, job.id);
}

TEST_P(StoreConformanceTest, CommitStageMergesTimings) {
  Upload("u1", kT0);
  Job job = MustClaim("w1", kT0);
  StageCommit c = MakeCommit(job.id, "w1", JobStatus::kParsed, QueueState::kWorking);
  c.timings_patch = {{"parse", {{"started_at", 1}, {"ms", 5}}}};
  ASSERT_TRUE(store_->CommitStage(c).ok());
  c.to = JobStatus::kParseValidated;
  c.timings_patch = {{"parse", {{"ms", 6}}}, {"validate", {{"ms", 1}}}};
  ASSERT_TRUE(store_->CommitStage(c).ok());
  auto timings = store_->GetJobUnscoped(job.id)->timings;
  EXPECT_EQ(timings["parse"]["started_at"], 1);
  EXPECT_EQ(timings["parse"]["ms"], 6);
  EXPECT_EQ(timings["validate"]["ms"], 1);
}

TEST_P(StoreConformanceTest, NextStateWorkingKeepsTheClaimAndDoneEndsIt) {
  Upload("u1", kT0);
  Job job = MustClaim("w1", kT0, 1000);
  StageCommit c = MakeCommit(job.id, "w1", JobStatus::kParsed, QueueState::kWorking);
  ASSERT_TRUE(store_->CommitStage(c).ok());
  auto kept = store_->GetJobUnscoped(job.id);
  EXPECT_EQ(kept->state, QueueState::kWorking);
  EXPECT_EQ(kept->claimed_by, "w1");
  EXPECT_EQ(kept->lease_expires_at_ms, kT0 + 1000);
  EXPECT_FALSE(store_->ClaimNext("w2", kT0 + 1, kLeaseMs)->has_value());

  c.to = JobStatus::kComplete;
  c.next_state = QueueState::kDone;
  ASSERT_TRUE(store_->CommitStage(c).ok());
  auto done = store_->GetJobUnscoped(job.id);
  EXPECT_EQ(done->state, QueueState::kDone);
  EXPECT_EQ(done->status, JobStatus::kComplete);
  EXPECT_EQ(done->claimed_by, "");
  EXPECT_FALSE(store_->ClaimNext("w2", kT0 + 100'000'000, kLeaseMs)->has_value());
  EXPECT_EQ(store_->CommitStage(c).code(), "LEASE_LOST");  // released: no more commits
}

TEST_P(StoreConformanceTest, ChunkFieldsRoundTrip) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0);
  StageCommit c = MakeCommit(job.id, "w1", JobStatus::kChunksStored, QueueState::kWorking);
  c.chunks = MakeChunks(up.document.id, 2);
  (*c.chunks)[1].heading_path = "Intro > Setup";
  (*c.chunks)[1].token_count = 77;
  (*c.chunks)[1].char_start = 10;
  (*c.chunks)[1].char_end = 99;
  (*c.chunks)[1].page_start = 3;
  (*c.chunks)[1].page_end = 5;
  ASSERT_TRUE(store_->CommitStage(c).ok());
  auto chunks = store_->GetChunks(up.document.id);
  ASSERT_EQ(chunks->size(), 2u);
  const Chunk& got = (*chunks)[1];
  EXPECT_EQ(got.heading_path, "Intro > Setup");
  EXPECT_EQ(got.token_count, 77);
  EXPECT_EQ(got.char_start, 10);
  EXPECT_EQ(got.char_end, 99);
  EXPECT_EQ(got.page_start, 3);
  EXPECT_EQ(got.page_end, 5);
  EXPECT_EQ((*chunks)[0].page_start, 0);
}

TEST_P(StoreConformanceTest, CommittingTheSameChunksTwiceDoesNotDuplicate) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0);
  StageCommit c = MakeCommit(job.id, "w1", JobStatus::kChunksStored, QueueState::kWorking);
  c.chunks = MakeChunks(up.document.id, 4);
  ASSERT_TRUE(store_->CommitStage(c).ok());
  ASSERT_TRUE(store_->CommitStage(c).ok());  // a re-run stage
  EXPECT_EQ(*store_->CountChunks(up.document.id), 4);

  // A re-run producing fewer, different chunks replaces them (and drops their vectors).
  StageCommit embed = c;
  embed.chunks.reset();
  for (const Chunk& ch : *c.chunks) embed.vectors.push_back(MakeVector(ch, "m", {1.0f}));
  ASSERT_TRUE(store_->CommitStage(embed).ok());
  EXPECT_EQ(*store_->CountVectors(up.document.id), 4);
  c.chunks = MakeChunks(up.document.id, 2, "rechunked");
  ASSERT_TRUE(store_->CommitStage(c).ok());
  auto chunks = store_->GetChunks(up.document.id);
  ASSERT_EQ(chunks->size(), 2u);
  EXPECT_EQ((*chunks)[1].text.rfind("rechunked 1", 0), 0u);
  EXPECT_EQ(*store_->CountVectors(up.document.id), 0);
}

TEST_P(StoreConformanceTest, VectorsUpsertByChunkAndModel) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0);
  std::vector<Chunk> chunks = MakeChunks(up.document.id, 2);
  StageCommit c = MakeCommit(job.id, "w1", JobStatus::kEmbeddingsStored, QueueState::kWorking);
  c.chunks = chunks;
  c.vectors = {MakeVector(chunks[0], "small", {1, 2, 3}),
               MakeVector(chunks[1], "small", {4, 5, 6})};
  ASSERT_TRUE(store_->CommitStage(c).ok());

  StageCommit again = MakeCommit(job.id, "w1", JobStatus::kEmbeddingsStored, QueueState::kWorking);
  again.vectors = {MakeVector(chunks[0], "small", {9, 9}),  // replaces (new dims too)
                   MakeVector(chunks[0], "large", {7, 7, 7, 7})};
  ASSERT_TRUE(store_->CommitStage(again).ok());
  ASSERT_TRUE(store_->CommitStage(again).ok());  // idempotent
  EXPECT_EQ(*store_->CountVectors(up.document.id), 3);
  auto vectors = store_->GetVectors(up.document.id);
  ASSERT_EQ(vectors->size(), 3u);
  // Ordered by chunk ordinal, then model.
  EXPECT_EQ((*vectors)[0].chunk_id, chunks[0].id);
  EXPECT_EQ((*vectors)[0].model, "large");
  EXPECT_EQ((*vectors)[0].values, (std::vector<float>{7, 7, 7, 7}));
  EXPECT_EQ((*vectors)[1].model, "small");
  EXPECT_EQ((*vectors)[1].values, (std::vector<float>{9, 9}));
  EXPECT_EQ((*vectors)[1].document_id, up.document.id);
  EXPECT_EQ((*vectors)[2].chunk_id, chunks[1].id);
  EXPECT_EQ((*vectors)[2].values, (std::vector<float>{4, 5, 6}));
}

// The embed stage stores each provider request's vectors as it returns (next_state
// working): durable at once, the claim kept, and the stage's end keeps them.
TEST_P(StoreConformanceTest, VectorsCommittedWhileWorkingAreDurableAndKeepTheClaim) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0);
  StageCommit chunked = MakeCommit(job.id, "w1", JobStatus::kChunksStored, QueueState::kWorking);
  chunked.chunks = MakeChunks(up.document.id, 3);
  ASSERT_TRUE(store_->CommitStage(chunked).ok());
  const std::vector<Chunk>& chunks = *chunked.chunks;
  for (int i = 0; i < 2; ++i) {
    StageCommit part =
        MakeCommit(job.id, "w1", JobStatus::kEmbeddingInProgress, QueueState::kWorking);
    part.vectors = {MakeVector(chunks[i], "m", {static_cast<float>(i)})};
    part.stage_pct = 33 * (i + 1);
    part.now_ms = kT0 + i;
    ASSERT_TRUE(store_->CommitStage(part).ok());
  }
  Job now = *store_->GetJobUnscoped(job.id);
  EXPECT_EQ(now.status, JobStatus::kEmbeddingInProgress);
  EXPECT_EQ(now.state, QueueState::kWorking);
  EXPECT_EQ(now.claimed_by, "w1");
  EXPECT_EQ(now.lease_expires_at_ms, kT0 + kLeaseMs);
  EXPECT_EQ(now.stage_pct, 66);
  EXPECT_EQ(*OpenAgain()->CountVectors(up.document.id), 2);  // another process sees them

  StageCommit done = MakeCommit(job.id, "w1", JobStatus::kEmbeddingsStored, QueueState::kQueued);
  done.vectors = {MakeVector(chunks[2], "m", {2})};
  ASSERT_TRUE(store_->CommitStage(done).ok());
  auto vectors = store_->GetVectors(up.document.id);
  ASSERT_EQ(vectors->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*vectors)[i].chunk_id, chunks[i].id);
    EXPECT_EQ((*vectors)[i].values, (std::vector<float>{static_cast<float>(i)}));
  }
}

TEST_P(StoreConformanceTest, AWorkerThatLostItsLeaseStoresNoVectors) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0, /*lease_ms=*/1000);
  StageCommit chunked = MakeCommit(job.id, "w1", JobStatus::kChunksStored, QueueState::kWorking);
  chunked.chunks = MakeChunks(up.document.id, 2);
  ASSERT_TRUE(store_->CommitStage(chunked).ok());
  Job taken = MustClaim("w2", kT0 + 1001);  // w1's lease expired: w2 owns the job now
  ASSERT_EQ(taken.id, job.id);

  StageCommit late =
      MakeCommit(job.id, "w1", JobStatus::kEmbeddingInProgress, QueueState::kWorking);
  late.vectors = {MakeVector((*chunked.chunks)[0], "m", {1})};
  Status s = store_->CommitStage(late);
  EXPECT_EQ(s.kind(), Kind::kConflict);
  EXPECT_EQ(s.code(), "LEASE_LOST");
  EXPECT_EQ(*store_->CountVectors(up.document.id), 0);
  Job now = *store_->GetJobUnscoped(job.id);
  EXPECT_EQ(now.claimed_by, "w2");
  EXPECT_EQ(now.status, JobStatus::kChunksStored);
}

TEST_P(StoreConformanceTest, VectorFloatsRoundTripBitExact) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0);
  std::vector<Chunk> chunks = MakeChunks(up.document.id, 1);
  const std::vector<float> values = {0.1f,
                                     -0.0f,
                                     1.0f / 3.0f,
                                     std::numeric_limits<float>::denorm_min(),
                                     std::numeric_limits<float>::max(),
                                     std::numeric_limits<float>::lowest(),
                                     std::numeric_limits<float>::infinity(),
                                     -123456.789f};
  std::vector<float> big(3072);
  for (size_t i = 0; i < big.size(); ++i) big[i] = std::sin(static_cast<float>(i)) * 1e-3f;
  StageCommit c;
  c.job_id = job.id;
  c.worker_id = "w1";
  c.to = JobStatus::kEmbeddingsStored;
  c.chunks = chunks;
  c.vectors = {MakeVector(chunks[0], "a", values), MakeVector(chunks[0], "b", big)};
  ASSERT_TRUE(store_->CommitStage(c).ok());
  auto got = store_->GetVectors(up.document.id);
  ASSERT_EQ(got->size(), 2u);
  ASSERT_EQ((*got)[0].values.size(), values.size());
  EXPECT_EQ(std::memcmp((*got)[0].values.data(), values.data(), values.size() * sizeof(float)), 0);
  EXPECT_TRUE(std::signbit((*got)[0].values[1]));
  EXPECT_EQ((*got)[1].values, big);
}

TEST_P(StoreConformanceTest, FailedCommitStageChangesNothing) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0);
  StageCommit c;
  c.job_id = job.id;
  c.worker_id = "w1";
  c.to = JobStatus::kEmbeddingsStored;
  c.chunks = MakeChunks(up.document.id, 3);
  c.page_count = 5;
  c.events = {Event{0, "", "", "stage_done", "EMBED_STORED", "embed", {}, kT0}};
  c.vectors = {MakeVector((*c.chunks)[0], "m", {1})};
  Chunk foreign = MakeChunks("another-document", 1)[0];
  c.vectors.push_back(MakeVector(foreign, "m", {1}));  // a vector of another document
  Status s = store_->CommitStage(c);
  EXPECT_EQ(s.kind(), Kind::kInvalidArgument);

  auto after = store_->GetJob("u1", job.id);
  EXPECT_EQ(after->status, JobStatus::kUploaded);
  EXPECT_EQ(after->state, QueueState::kWorking);
  EXPECT_EQ(after->claimed_by, "w1");
  EXPECT_EQ(*store_->CountChunks(up.document.id), 0);
  EXPECT_EQ(*store_->CountVectors(up.document.id), 0);
  EXPECT_EQ(store_->GetDocument("u1", up.document.id)->page_count, -1);
  EXPECT_THAT(EventCodes("u1", job.id), ElementsAre("UPLOAD_ACCEPTED"));

  // A vector of an unknown chunk also rolls everything back.
  c.vectors = {MakeVector((*c.chunks)[0], "m", {1})};
  c.vectors[0].chunk_id = "no-such-chunk";
  EXPECT_FALSE(store_->CommitStage(c).ok());
  EXPECT_EQ(*store_->CountChunks(up.document.id), 0);
  EXPECT_EQ(store_->GetJob("u1", job.id)->status, JobStatus::kUploaded);
}

}  // namespace
}  // namespace ingestd
