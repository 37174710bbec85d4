// Conformance: the listing reads — ListDocuments (newest first, with the newest job, chunk
// count and vector models; filters and paging), GetChunkVectors (only the user's) and
// CountJobsByState (every user's, per state and status).
#include <algorithm>
#include <tuple>

#include "store/store_conformance.h"

namespace ingestd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Ids(const std::vector<DocumentSummary>& docs) {
  std::vector<std::string> out;
  for (const DocumentSummary& d : docs) out.push_back(d.document.id);
  return out;
}

}  // namespace

TEST_P(StoreConformanceTest, ListDocumentsNewestFirstWithJobChunksAndModels) {
  // Oldest: complete, chunk 0 with a vector of model b, chunk 1 with one of model a.
  const std::vector<Chunk> chunks = StoreDocumentWithVectors("w1", kT0, {"model-b", "model-a"});
  const std::string complete = chunks[0].document_id;
  const CreateUploadResult queued = Upload("u1", kT0 + 10);
  Upload("u2", kT0 + 20);  // another user's: never listed

  auto docs = store_->ListDocuments("u1", DocumentFilter{});
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_THAT(Ids(*docs), ElementsAre(queued.document.id, complete));
  const DocumentSummary& fresh = (*docs)[0];
  EXPECT_EQ(fresh.document.filename, "report.pdf");
  EXPECT_EQ(fresh.document.created_at_ms, kT0 + 10);
  ASSERT_TRUE(fresh.job.has_value());
  EXPECT_EQ(fresh.job->id, queued.job.id);
  EXPECT_EQ(fresh.job->status, JobStatus::kUploaded);
  EXPECT_EQ(fresh.job->state, QueueState::kQueued);
  EXPECT_EQ(fresh.chunk_count, 0);
  EXPECT_EQ(fresh.vector_count, 0);
  EXPECT_THAT(fresh.vector_models, IsEmpty());
  const DocumentSummary& done = (*docs)[1];
  ASSERT_TRUE(done.job.has_value());
  EXPECT_EQ(done.job->status, JobStatus::kComplete);
  EXPECT_EQ(done.job->state, QueueState::kDone);
  EXPECT_EQ(done.chunk_count, 2);
  EXPECT_EQ(done.vector_count, 2);
  EXPECT_THAT(done.vector_models, ElementsAre("model-a", "model-b"));

  EXPECT_THAT(Ids(*store_->ListDocuments("nobody", DocumentFilter{})), IsEmpty());
}

TEST_P(StoreConformanceTest, ListDocumentsFiltersAndPages) {
  const std::string complete = StoreDocumentWithVectors("w1", kT0, {"m"})[0].document_id;
  std::vector<std::string> newest_first = {complete};
  for (const char* name : {"a%b_c.pdf", "axb.pdf", "Report.pdf", "report-2.pdf"}) {
    Document doc = MakeDocument("u1");
    doc.filename = name;
    auto up = store_->CreateUpload(doc, MakeJob(doc),
                                   kT0 + 1 + static_cast<int64_t>(newest_first.size()));
    ASSERT_TRUE(up.ok()) << up.status().ToString();
    newest_first.insert(newest_first.begin(), doc.id);
  }
  auto list = [&](DocumentFilter f) {
    auto r = store_->ListDocuments("u1", f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Ids(*r) : std::vector<std::string>{};
  };
  DocumentFilter f;
  f.status = JobStatus::kComplete;
  EXPECT_THAT(list(f), ElementsAre(complete));
  f = {};
  f.state = QueueState::kQueued;
  EXPECT_EQ(list(f).size(), 4u);
  f.status = JobStatus::kComplete;  // both must hold
  EXPECT_THAT(list(f), IsEmpty());
  f = {};
  // A literal, case-sensitive prefix: LIKE wildcards match only themselves.
  f.filename_prefix = "report";
  EXPECT_THAT(list(f), ElementsAre(newest_first[0], complete));  // report-2.pdf, report.pdf
  f.filename_prefix = "a%b_";
  EXPECT_THAT(list(f), ElementsAre(newest_first[3]));
  f.filename_prefix = "report.pdf.";
  EXPECT_THAT(list(f), IsEmpty());
  f = {};
  f.limit = 2;
  EXPECT_THAT(list(f), ElementsAre(newest_first[0], newest_first[1]));
  f.offset = 2;
  EXPECT_THAT(list(f), ElementsAre(newest_first[2], newest_first[3]));
  f.offset = 4;
  EXPECT_THAT(list(f), ElementsAre(complete));
  f.offset = 5;
  EXPECT_THAT(list(f), IsEmpty());
  f.limit = 0;
  f.offset = 0;
  EXPECT_THAT(list(f), IsEmpty());
}

TEST_P(StoreConformanceTest, GetChunkVectorsOnlyTheUsersInChunkThenModelOrder) {
  // Stores a complete document of user with n chunks and the given vectors on them.
  auto store_document = [&](const std::string& user, int n, const std::string& worker,
                            const std::vector<std::pair<int, std::string>>& vectors) {
    Document doc = MakeDocument(user);
    EXPECT_TRUE(store_->CreateUpload(doc, MakeJob(doc), kT0).ok());
    Job job = MustClaim(worker, kT0 + 1);
    StageCommit c = MakeCommit(job.id, worker, JobStatus::kComplete, QueueState::kDone);
    c.chunks = MakeChunks(doc.id, n);
    for (const auto& [i, model] : vectors) {
      c.vectors.push_back(MakeVector((*c.chunks)[i], model, {float(i), float(model.size())}));
    }
    EXPECT_TRUE(store_->CommitStage(c).ok());
    return *c.chunks;
  };
  const std::vector<Chunk> mine = store_document("u1", 3, "w1", {{0, "m22"}, {0, "m1"}, {2, "m1"}});
  const std::string foreign = store_document("u2", 1, "w2", {{0, "m1"}})[0].id;

  auto got =
      store_->GetChunkVectors("u1", {mine[2].id, mine[1].id, mine[0].id, "no-such-chunk", foreign});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::vector<VectorRecord> want = {MakeVector(mine[0], "m1", {0, 2}),
                                    MakeVector(mine[0], "m22", {0, 3}),
                                    MakeVector(mine[2], "m1", {2, 2})};
  std::sort(want.begin(), want.end(), [](const VectorRecord& a, const VectorRecord& b) {
    return std::tie(a.chunk_id, a.model) < std::tie(b.chunk_id, b.model);
  });
  ASSERT_EQ(got->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*got)[i].chunk_id, want[i].chunk_id) << i;
    EXPECT_EQ((*got)[i].document_id, want[i].document_id) << i;
    EXPECT_EQ((*got)[i].model, want[i].model) << i;
    EXPECT_EQ((*got)[i].values, want[i].values) << i;
  }
  EXPECT_THAT(*store_->GetChunkVectors("u1", {foreign}), IsEmpty());
  EXPECT_THAT(*store_->GetChunkVectors("u1", {}), IsEmpty());
  EXPECT_EQ(store_->GetChunkVectors("u2", {foreign})->size(), 1u);
}

TEST_P(StoreConformanceTest, CountJobsByStateCountsEveryUsersJobsPerStateAndStatus) {
  auto empty = store_->CountJobsByState();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_THAT(*empty, IsEmpty());
  StoreDocumentWithVectors("w1", kT0, {"m"});  // complete, done
  Upload("u1", kT0 + 10);
  Upload("u2", kT0 + 20);

  auto counts = store_->CountJobsByState();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  std::vector<std::tuple<QueueState, JobStatus, int64_t>> got;
  for (const JobCount& c : *counts) got.emplace_back(c.state, c.status, c.count);
  std::sort(got.begin(), got.end());
  EXPECT_THAT(got, ElementsAre(std::tuple(QueueState::kQueued, JobStatus::kUploaded, 2),
                               std::tuple(QueueState::kDone, JobStatus::kComplete, 1)));
}

}  // namespace ingestd
