// Conformance: the embedding cache — FindCachedVectors (model, dims, hash, user scope; the
// newest entry), EvictEmbedCache (by last use; never a vector deleted), GetEmbedUsage and
// SumEmbedSavings.
#include "store/store_conformance.h"

namespace ingestd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kModel[] = "text-embedding-3-small";

// Any key will do for the store.
std::string HashOf(const std::string& text) { return "sha-" + text; }

std::vector<std::string> Hashes(const std::vector<VectorRecord>& found) {
  std::vector<std::string> out;
  for (const VectorRecord& v : found) out.push_back(v.text_sha256);
  return out;
}

}  // namespace

std::vector<Chunk> StoreEmbedCacheTest::StoreCached(const std::string& user, int64_t now_ms,
                                                    const std::vector<std::string>& texts,
                                                    float value, std::vector<bool> hits) {
  hits.resize(texts.size(), false);
  Document doc = MakeDocument(user);
  auto up = store_->CreateUpload(doc, MakeJob(doc), now_ms);
  EXPECT_TRUE(up.ok()) << up.status().ToString();
  Job job = MustClaim("w", now_ms);
  StageCommit c = MakeCommit(job.id, "w", JobStatus::kComplete, QueueState::kDone);
  std::vector<Chunk> chunks = MakeChunks(doc.id, static_cast<int>(texts.size()));
  for (size_t i = 0; i < texts.size(); ++i) {
    chunks[i].text = texts[i];
    VectorRecord v = MakeVector(chunks[i], kModel, {value, static_cast<float>(i)});
    v.text_sha256 = HashOf(texts[i]);
    v.tokens = 10;
    v.cache_hit = hits[i];
    v.saved_nanos = hits[i] ? 200 : 0;
    c.vectors.push_back(std::move(v));
  }
  c.chunks = chunks;
  c.now_ms = now_ms;
  Status s = store_->CommitStage(c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return chunks;
}

std::vector<VectorRecord> StoreEmbedCacheTest::Find(const std::vector<std::string>& texts,
                                                    const std::string& user, int dims,
                                                    const std::string& model) {
  std::vector<std::string> hashes;
  for (const std::string& t : texts) hashes.push_back(HashOf(t));
  auto found = store_->FindCachedVectors(model, dims, hashes, user);
  EXPECT_TRUE(found.ok()) << found.status().ToString();
  return found.ok() ? *found : std::vector<VectorRecord>{};
}

TEST_P(StoreEmbedCacheTest, FindsEntriesByModelDimsHashAndUser) {
  const auto chunks = StoreCached("u1", kT0, {"alpha", "beta"});
  const auto found = Find({"beta", "alpha", "gamma", "alpha"}, "u1");
  EXPECT_THAT(Hashes(found), ElementsAre(HashOf("alpha"), HashOf("beta")));  // hash order
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].chunk_id, chunks[0].id);
  EXPECT_EQ(found[0].model, kModel);
  EXPECT_EQ(found[0].values, (std::vector<float>{1, 0}));
  EXPECT_EQ(found[1].values, (std::vector<float>{1, 1}));
  EXPECT_THAT(Find({"alpha"}, "u1", 3), IsEmpty()) << "another dimension count is another space";
  EXPECT_THAT(Find({"alpha"}, "u1", 2, "text-embedding-3-large"), IsEmpty());
  EXPECT_THAT(Find({"alpha"}, "u2"), IsEmpty()) << "user scope: only the user's own vectors";
  EXPECT_THAT(Hashes(Find({"alpha"}, "")), ElementsAre(HashOf("alpha"))) << "global scope";
  EXPECT_THAT(Find({}, ""), IsEmpty());
}

TEST_P(StoreEmbedCacheTest, TheNewestEntryOfATextAnswers) {
  StoreCached("u1", kT0, {"alpha"}, 1);
  const auto newer = StoreCached("u1", kT0 + 5, {"alpha"}, 2);
  StoreCached("u2", kT0 + 9, {"alpha"}, 3);
  auto mine = Find({"alpha"}, "u1");
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].chunk_id, newer[0].id);
  EXPECT_EQ(mine[0].values[0], 2);
  auto anyone = Find({"alpha"}, "");
  ASSERT_EQ(anyone.size(), 1u);
  EXPECT_EQ(anyone[0].values[0], 3);
}

TEST_P(StoreEmbedCacheTest, AVectorWithoutAHashIsNoEntry) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w", kT0);
  StageCommit c = MakeCommit(job.id, "w", JobStatus::kComplete, QueueState::kDone);
  c.chunks = MakeChunks(up.document.id, 1);
  c.vectors = {MakeVector((*c.chunks)[0], kModel, {1, 2})};
  ASSERT_TRUE(store_->CommitStage(c).ok());
  auto found = store_->FindCachedVectors(kModel, 2, {""}, "");
  ASSERT_TRUE(found.ok());
  EXPECT_THAT(*found, IsEmpty());
}

TEST_P(StoreEmbedCacheTest, EvictionDropsTheLeastRecentlyUsedEntriesButNoVector) {
  const auto oldest = StoreCached("u1", kT0, {"a", "b"});
  StoreCached("u1", kT0 + 1, {"c"});
  StoreCached("u2", kT0 + 2, {"d"});
  auto feed_before = store_->ListVectorChanges(0, 100);
  ASSERT_TRUE(feed_before.ok());
  auto evicted = store_->EvictEmbedCache(2);
  ASSERT_TRUE(evicted.ok()) << evicted.status().ToString();
  EXPECT_EQ(*evicted, 2);
  EXPECT_THAT(Hashes(Find({"a", "b", "c", "d"}, "")), ElementsAre(HashOf("c"), HashOf("d")));
  // The evicted entries' vectors stay with their document, unchanged: no change feed entry.
  auto kept = store_->GetVectors(oldest[0].document_id);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ((*kept)[0].values, (std::vector<float>{1, 0}));
  EXPECT_EQ(store_->ListVectorChanges(0, 100)->size(), feed_before->size());
  EXPECT_EQ(store_->ListVectorChanges(0, 100)->back().seq, feed_before->back().seq);
  EXPECT_EQ(*store_->EvictEmbedCache(2), 0) << "already within the limit";
  EXPECT_EQ(*store_->EvictEmbedCache(0), 2);
  EXPECT_THAT(Find({"a", "b", "c", "d"}, ""), IsEmpty());
  EXPECT_EQ(*store_->CountVectors(oldest[0].document_id), 2);
}

TEST_P(StoreEmbedCacheTest, AnEntryGoesWithItsDocument) {
  const auto chunks = StoreCached("u1", kT0, {"alpha"});
  ASSERT_TRUE(store_->DeleteDocument("u1", chunks[0].document_id).ok());
  EXPECT_THAT(Find({"alpha"}, ""), IsEmpty());
}

TEST_P(StoreEmbedCacheTest, UsageCountsPaidAndCachedAndSavingsSumByWindowAndUser) {
  const auto chunks = StoreCached("u1", kT0, {"a", "b", "c"}, 1, {true, false, true});
  auto usage = store_->GetEmbedUsage(chunks[0].document_id);
  ASSERT_TRUE(usage.ok()) << usage.status().ToString();
  EXPECT_EQ(usage->chunks, 3);
  EXPECT_EQ(usage->chunks_cached, 2);
  EXPECT_EQ(usage->tokens_paid, 10);
  EXPECT_EQ(usage->tokens_cached, 20);
  EXPECT_EQ(usage->saved_nanos, 400);
  StoreCached("u2", kT0 + 10, {"a"}, 1, {true});

  auto mine = store_->SumEmbedSavings("u1", kT0, kT0 + 100);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_EQ(mine->chunks_cached, 2);
  EXPECT_EQ(mine->tokens_cached, 20);
  EXPECT_EQ(mine->saved_nanos, 400);
  EXPECT_EQ(store_->SumEmbedSavings("", kT0, kT0 + 100)->saved_nanos, 600);
  EXPECT_EQ(store_->SumEmbedSavings("", kT0 + 1, kT0 + 100)->saved_nanos, 200);
  EXPECT_EQ(store_->SumEmbedSavings("", kT0, kT0 + 10)->saved_nanos, 400) << "to is exclusive";
  EXPECT_EQ(store_->SumEmbedSavings("u3", kT0, kT0 + 100)->chunks_cached, 0);
  auto none = store_->GetEmbedUsage("no-such-document");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->chunks, 0);
}

}  // namespace ingestd
