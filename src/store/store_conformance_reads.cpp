// Conformance: reads, user scoping, listing order and filters, persistence.
#include "core/ids.h"
#include "store/store_conformance.h"

namespace ingestd {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Ids(const std::vector<Job>& jobs) {
  std::vector<std::string> ids;
  for (const Job& j : jobs) ids.push_back(j.id);
  return ids;
}

TEST_P(StoreConformanceTest, AnotherUsersRowsAreNotFound) {
  CreateUploadResult up = Upload("alice", kT0);
  EXPECT_EQ(store_->GetJob("bob", up.job.id).status().code(), "JOB_NOT_FOUND");
  EXPECT_EQ(store_->GetJob("bob", up.job.id).status().kind(), Kind::kNotFound);
  EXPECT_EQ(store_->GetDocument("bob", up.document.id).status().code(), "DOCUMENT_NOT_FOUND");
  EXPECT_EQ(store_->ListChunks("bob", up.document.id, 10, 0).status().code(), "DOCUMENT_NOT_FOUND");
  EXPECT_EQ(store_->ListEvents("bob", up.job.id).status().code(), "JOB_NOT_FOUND");
  EXPECT_TRUE(store_->ListJobs("bob", {})->empty());
  // The owner and the unscoped (worker) reads see them.
  EXPECT_TRUE(store_->GetJob("alice", up.job.id).ok());
  EXPECT_TRUE(store_->GetJobUnscoped(up.job.id).ok());
  EXPECT_TRUE(store_->GetDocumentUnscoped(up.document.id).ok());
}

TEST_P(StoreConformanceTest, MissingRowsAreNotFound) {
  const std::string id = NewUuidV4();
  EXPECT_EQ(store_->GetJob("u1", id).status().code(), "JOB_NOT_FOUND");
  EXPECT_EQ(store_->GetJobUnscoped(id).status().code(), "JOB_NOT_FOUND");
  EXPECT_EQ(store_->GetDocument("u1", id).status().code(), "DOCUMENT_NOT_FOUND");
  EXPECT_EQ(store_->GetDocumentUnscoped(id).status().code(), "DOCUMENT_NOT_FOUND");
  EXPECT_EQ(store_->ListEvents("u1", id).status().code(), "JOB_NOT_FOUND");
  EXPECT_TRUE(store_->GetChunks(id)->empty());
  EXPECT_EQ(*store_->CountChunks(id), 0);
  EXPECT_EQ(*store_->CountVectors(id), 0);
  EXPECT_TRUE(store_->GetVectors(id)->empty());
  EXPECT_FALSE(store_->FindJobForDocument(id)->has_value());
}

TEST_P(StoreConformanceTest, ListJobsIsNewestFirstWithLimitAndOffset) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Upload("u1", kT0 + i).job.id);
  Upload("u2", kT0 + 10);
  EXPECT_THAT(Ids(*store_->ListJobs("u1", {})),
              ElementsAre(ids[4], ids[3], ids[2], ids[1], ids[0]));
  JobFilter page;
  page.limit = 2;
  page.offset = 1;
  EXPECT_THAT(Ids(*store_->ListJobs("u1", page)), ElementsAre(ids[3], ids[2]));
  page.offset = 4;
  EXPECT_THAT(Ids(*store_->ListJobs("u1", page)), ElementsAre(ids[0]));
  page.offset = 5;
  EXPECT_TRUE(store_->ListJobs("u1", page)->empty());
  page.limit = 0;
  page.offset = 0;
  EXPECT_TRUE(store_->ListJobs("u1", page)->empty());
}

TEST_P(StoreConformanceTest, ListJobsFiltersByStateAndStatus) {
  CreateUploadResult a = Upload("u1", kT0);
  CreateUploadResult b = Upload("u1", kT0 + 1, JobStatus::kAwaitingUpload);
  CreateUploadResult c = Upload("u1", kT0 + 2);
  ASSERT_EQ(MustClaim("w1", kT0 + 3).id, a.job.id);

  JobFilter working;
  working.state = QueueState::kWorking;
  EXPECT_THAT(Ids(*store_->ListJobs("u1", working)), ElementsAre(a.job.id));
  JobFilter queued;
  queued.state = QueueState::kQueued;
  EXPECT_THAT(Ids(*store_->ListJobs("u1", queued)), ElementsAre(c.job.id, b.job.id));
  JobFilter awaiting;
  awaiting.status = JobStatus::kAwaitingUpload;
  EXPECT_THAT(Ids(*store_->ListJobs("u1", awaiting)), ElementsAre(b.job.id));
  JobFilter both;
  both.state = QueueState::kQueued;
  both.status = JobStatus::kUploaded;
  EXPECT_THAT(Ids(*store_->ListJobs("u1", both)), ElementsAre(c.job.id));
  both.state = QueueState::kDone;
  EXPECT_TRUE(store_->ListJobs("u1", both)->empty());
}

TEST_P(StoreConformanceTest, ListChunksPagesInOrdinalOrder) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0);
  StageCommit c;
  c.job_id = job.id;
  c.worker_id = "w1";
  c.to = JobStatus::kChunksStored;
  c.chunks = MakeChunks(up.document.id, 7);
  ASSERT_TRUE(store_->CommitStage(c).ok());

  auto page = store_->ListChunks("u1", up.document.id, 3, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].ord, 2);
  EXPECT_EQ((*page)[2].ord, 4);
  const Chunk& want = (*c.chunks)[2];
  EXPECT_EQ((*page)[0].id, want.id);
  EXPECT_EQ((*page)[0].document_id, up.document.id);
  EXPECT_EQ((*page)[0].text, want.text);
  EXPECT_EQ((*page)[0].heading_path, want.heading_path);
  EXPECT_EQ((*page)[0].token_count, want.token_count);
  EXPECT_EQ((*page)[0].char_start, want.char_start);
  EXPECT_EQ((*page)[0].char_end, want.char_end);
  EXPECT_EQ(store_->ListChunks("u1", up.document.id, 10, 5)->size(), 2u);
  EXPECT_EQ(store_->GetChunks(up.document.id)->size(), 7u);
  EXPECT_EQ(*store_->CountChunks(up.document.id), 7);
}

TEST_P(StoreConformanceTest, FindJobForDocumentReturnsItsJob) {
  CreateUploadResult up = Upload("u1", kT0);
  auto found = store_->FindJobForDocument(up.document.id);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, up.job.id);
}

TEST_P(StoreConformanceTest, ReopenedDatabaseKeepsEverything) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0 + 1);
  StageCommit c;
  c.job_id = job.id;
  c.worker_id = "w1";
  c.to = JobStatus::kEmbeddingsStored;
  c.chunks = MakeChunks(up.document.id, 2);
  c.vectors = {MakeVector((*c.chunks)[0], "m", {0.5f, -1.25f})};
  c.timings_patch = {{"parse", {{"ms", 12}}}};
  c.now_ms = kT0 + 2;
  ASSERT_TRUE(store_->CommitStage(c).ok());
  store_.reset();

  store_ = OpenAgain();
  ASSERT_NE(store_, nullptr);
  auto reread = store_->GetJob("u1", up.job.id);
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(reread->status, JobStatus::kEmbeddingsStored);
  EXPECT_EQ(reread->timings["parse"]["ms"], 12);
  EXPECT_EQ(*store_->CountChunks(up.document.id), 2);
  auto vectors = store_->GetVectors(up.document.id);
  ASSERT_EQ(vectors->size(), 1u);
  EXPECT_EQ((*vectors)[0].values, (std::vector<float>{0.5f, -1.25f}));
  EXPECT_EQ(EventCodes("u1", up.job.id).size(), 1u);
}

TEST_P(StoreConformanceTest, TwoHandlesSeeEachOthersWrites) {
  std::unique_ptr<Store> other = OpenAgain();
  ASSERT_NE(other, nullptr);
  CreateUploadResult up = Upload("u1", kT0);
  EXPECT_TRUE(other->GetJob("u1", up.job.id).ok());
  auto claimed = other->ClaimNext("w-other", kT0, kLeaseMs);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  EXPECT_EQ(store_->GetJob("u1", up.job.id)->claimed_by, "w-other");
  EXPECT_FALSE(store_->ClaimNext("w-mine", kT0, kLeaseMs)->has_value());
}

}  // namespace
}  // namespace ingestd
