// Conformance: the re-embedding methods — ListDocumentsWithOtherVectors and
// ReplaceDocumentVectors (one model per document afterwards, all or nothing).
#include <algorithm>

#include "store/store_conformance.h"

namespace ingestd {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kReal[] = "text-embedding-3-small";
constexpr char kMock[] = "mock-embed-1536";

std::vector<std::string> Models(const std::vector<VectorRecord>& vectors) {
  std::vector<std::string> out;
  for (const VectorRecord& v : vectors) out.push_back(v.model);
  return out;
}

}  // namespace

std::vector<Chunk> StoreConformanceTest::StoreDocumentWithVectors(
    const std::string& worker, int64_t now_ms, const std::vector<std::string>& models) {
  CreateUploadResult up = Upload("u1", now_ms);
  Job job = MustClaim(worker, now_ms);
  EXPECT_EQ(job.id, up.job.id);
  StageCommit c = MakeCommit(job.id, worker, JobStatus::kComplete, QueueState::kDone);
  std::vector<Chunk> chunks = MakeChunks(up.document.id, static_cast<int>(models.size()));
  c.chunks = chunks;
  for (size_t i = 0; i < models.size(); ++i) {
    c.vectors.push_back(MakeVector(chunks[i], models[i], {static_cast<float>(i), 1}));
  }
  Status s = store_->CommitStage(c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return chunks;
}

TEST_P(StoreConformanceTest, ListsOnlyDocumentsWithAnotherModelsVectors) {
  StoreDocumentWithVectors("w1", kT0, {kReal, kReal});
  const std::string mixed = StoreDocumentWithVectors("w2", kT0 + 1, {kReal, kMock})[0].document_id;
  const std::string mock = StoreDocumentWithVectors("w3", kT0 + 2, {kMock, kMock})[0].document_id;
  auto found = store_->ListDocumentsWithOtherVectors(kReal, 100);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, UnorderedElementsAre(mixed, mock));
  EXPECT_TRUE(std::is_sorted(found->begin(), found->end()));
  EXPECT_EQ(store_->ListDocumentsWithOtherVectors(kReal, 1)->size(), 1u);
  EXPECT_EQ(store_->ListDocumentsWithOtherVectors(kReal, 0)->size(), 0u);
  EXPECT_EQ(store_->ListDocumentsWithOtherVectors(kMock, 100)->size(), 2u);
}

TEST_P(StoreConformanceTest, ReplaceLeavesOneModelPerDocument) {
  const std::vector<Chunk> chunks = StoreDocumentWithVectors("w1", kT0, {kReal, kMock, kMock});
  const std::string doc = chunks[0].document_id;
  // Only the fallback's chunks are re-embedded; the real vector already there stays.
  std::vector<VectorRecord> fresh = {MakeVector(chunks[1], kReal, {7, 7}),
                                     MakeVector(chunks[2], kReal, {8, 8})};
  ASSERT_TRUE(store_->ReplaceDocumentVectors(doc, fresh).ok());
  auto vectors = store_->GetVectors(doc);
  ASSERT_TRUE(vectors.ok());
  EXPECT_THAT(Models(*vectors), ElementsAre(kReal, kReal, kReal));
  EXPECT_EQ((*vectors)[0].values, (std::vector<float>{0, 1}));  // untouched
  EXPECT_EQ((*vectors)[1].values, (std::vector<float>{7, 7}));
  EXPECT_EQ((*vectors)[2].values, (std::vector<float>{8, 8}));
  EXPECT_TRUE(store_->ListDocumentsWithOtherVectors(kReal, 100)->empty());
  // Replacing again is idempotent.
  ASSERT_TRUE(store_->ReplaceDocumentVectors(doc, fresh).ok());
  EXPECT_EQ(*store_->CountVectors(doc), 3);
}

TEST_P(StoreConformanceTest, AReplaceThatWouldLeaveAChunkBareChangesNothing) {
  const std::vector<Chunk> chunks = StoreDocumentWithVectors("w1", kT0, {kMock, kMock});
  const std::string doc = chunks[0].document_id;
  const auto before = store_->GetVectors(doc);
  Status s = store_->ReplaceDocumentVectors(doc, {MakeVector(chunks[0], kReal, {1, 2})});
  EXPECT_EQ(s.kind(), Kind::kConflict);
  EXPECT_EQ(s.code(), "VECTORS_INCOMPLETE");
  auto after = store_->GetVectors(doc);
  ASSERT_TRUE(after.ok());
  EXPECT_THAT(Models(*after), ElementsAre(kMock, kMock));
  EXPECT_EQ((*after)[0].values, (*before)[0].values);
}

TEST_P(StoreConformanceTest, ReplaceRejectsBadInput) {
  const std::vector<Chunk> chunks = StoreDocumentWithVectors("w1", kT0, {kMock, kMock});
  const std::string doc = chunks[0].document_id;
  const std::vector<Chunk> other_chunks = StoreDocumentWithVectors("w2", kT0 + 1, {kMock});
  EXPECT_EQ(store_->ReplaceDocumentVectors(doc, {}).code(), "INVALID_STORE_RECORD");
  EXPECT_EQ(store_
                ->ReplaceDocumentVectors(
                    doc, {MakeVector(chunks[0], kReal, {1}), MakeVector(chunks[1], "other", {1})})
                .code(),
            "INVALID_STORE_RECORD");
  EXPECT_EQ(store_->ReplaceDocumentVectors(doc, {MakeVector(other_chunks[0], kReal, {1})}).code(),
            "INVALID_STORE_RECORD");
  EXPECT_EQ(
      store_->ReplaceDocumentVectors("no-such-doc", {VectorRecord{"c", "", kReal, {1}}}).code(),
      "DOCUMENT_NOT_FOUND");
  EXPECT_THAT(Models(*store_->GetVectors(doc)), ElementsAre(kMock, kMock));
}

}  // namespace ingestd
