// SearchIndex over a real SQLite store: built and kept current from the vector change feed
// (a deleted document's vectors leave their space), spaces per (user, model) never mix, a
// space past hnsw_min_vectors is rebuilt by the approximate factory, and a filtered search
// whose over-fetch comes up short falls back to an exact scan of the allowed documents.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>

#include "search/search_index.h"
#include "search/search_test_store.h"

namespace ingestd::search {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// A VectorSpace by its contract (vector_space.h): every stored vector scanned. With
// `at_most` it answers no more than that many hits, as a lossy approximate index may.
class ScanSpace final : public VectorSpace {
 public:
  ScanSpace(int dims, size_t at_most) : dims_(dims), at_most_(at_most) {}
  int dims() const override { return dims_; }
  void Upsert(VectorKey key, const float* values) override {
    vectors_[key].assign(values, values + dims_);
  }
  void Remove(VectorKey key) override { vectors_.erase(key); }
  std::vector<VectorHit> Search(const float* query, int k) const override {
    std::vector<VectorHit> hits;
    for (const auto& [key, v] : vectors_) {
      float dot = 0;
      for (int i = 0; i < dims_; ++i) dot += v[i] * query[i];
      hits.push_back({key, dot});
    }
    std::sort(hits.begin(), hits.end(), [](const VectorHit& a, const VectorHit& b) {
      return a.score != b.score ? a.score > b.score : a.key < b.key;
    });
    hits.resize(std::min({hits.size(), static_cast<size_t>(k), at_most_}));
    return hits;
  }
  void ForEach(const std::function<void(VectorKey, const float*)>& fn) const override {
    for (const auto& [key, v] : vectors_) fn(key, v.data());
  }
  size_t size() const override { return vectors_.size(); }
  size_t memory_bytes() const override { return vectors_.size() * dims_ * sizeof(float); }

 private:
  const int dims_;
  const size_t at_most_;
  std::map<VectorKey, std::vector<float>> vectors_;
};

SpaceFactory Scan(size_t at_most = SIZE_MAX) {
  return
      [at_most](std::string_view, int dims) { return std::make_unique<ScanSpace>(dims, at_most); };
}

// A copy of every vector of `exact` in a ScanSpace answering at most `at_most` hits.
RebuildFactory Rebuild(size_t at_most = SIZE_MAX) {
  return [at_most](const VectorSpace& exact) {
    auto copy = std::make_unique<ScanSpace>(exact.dims(), at_most);
    exact.ForEach([&](VectorKey key, const float* values) { copy->Upsert(key, values); });
    return copy;
  };
}

// Exact spaces; with `approximate`, rebuilt by it past hnsw_min_vectors.
SearchIndexOptions Options(RebuildFactory approximate = nullptr, size_t hnsw_min_vectors = 20'000,
                           int page_size = 2'000) {
  SearchIndexOptions o;
  o.make_exact = Scan();
  o.make_approximate = std::move(approximate);
  o.hnsw_min_vectors = hnsw_min_vectors;
  o.page_size = page_size;
  return o;
}

class SearchIndexTest : public SearchStoreTest {
 protected:
  // A document of user whose chunks carry `vectors` (one each) of `model`; returns the
  // document id and the chunk ids.
  std::pair<std::string, std::vector<std::string>> StoreDocument(
      const std::string& user, const std::string& model,
      const std::vector<std::vector<float>>& vectors) {
    std::vector<std::string> texts;
    for (size_t i = 0; i < vectors.size(); ++i) texts.push_back("chunk " + std::to_string(i));
    return StoreChunks(user, model, texts, vectors);
  }

  std::vector<std::string> NearestIds(SearchIndex& index, const std::string& user,
                                      const std::string& model, std::vector<float> query, int k,
                                      const std::unordered_set<std::string>* allowed = nullptr) {
    auto near = index.Nearest(user, model, query, k, allowed);
    EXPECT_TRUE(near.ok()) << near.status().ToString();
    std::vector<std::string> ids;
    if (near.ok()) {
      for (const NearChunk& n : *near) ids.push_back(n.chunk_id);
    }
    return ids;
  }
};

TEST_F(SearchIndexTest, BuildsFromTheFeedAndRanksByInnerProduct) {
  const auto [doc, chunks] = StoreDocument("u1", "m", {{1, 0}, {0.6f, 0.8f}, {0, 1}});
  SearchIndex index(store_.get(), Options());
  ASSERT_TRUE(index.CatchUp().ok());
  EXPECT_THAT(NearestIds(index, "u1", "m", {0, 1}, 2), ElementsAre(chunks[2], chunks[1]));
  EXPECT_THAT(NearestIds(index, "u1", "m", {1, 0}, 10),
              ElementsAre(chunks[0], chunks[1], chunks[2]));
  // A query of other dimensions, another model, another user: nothing.
  EXPECT_THAT(NearestIds(index, "u1", "m", {1, 0, 0}, 10), IsEmpty());
  EXPECT_THAT(NearestIds(index, "u1", "other", {1, 0}, 10), IsEmpty());
  EXPECT_THAT(NearestIds(index, "u2", "m", {1, 0}, 10), IsEmpty());
}

TEST_F(SearchIndexTest, CatchUpBringsNewVectorsAndADeletedDocumentsVectorsLeave) {
  SearchIndex index(store_.get(), Options());
  const auto [first, first_chunks] = StoreDocument("u1", "m", {{1, 0}, {0, 1}});
  ASSERT_TRUE(index.CatchUp().ok());
  const auto [second, second_chunks] = StoreDocument("u1", "m", {{0.8f, 0.6f}});
  ASSERT_TRUE(index.CatchUp().ok());
  EXPECT_THAT(NearestIds(index, "u1", "m", {1, 0}, 10),
              ElementsAre(first_chunks[0], second_chunks[0], first_chunks[1]));

  ASSERT_TRUE(store_->DeleteDocument("u1", first).ok());
  ASSERT_TRUE(index.CatchUp().ok());
  EXPECT_THAT(NearestIds(index, "u1", "m", {1, 0}, 10), ElementsAre(second_chunks[0]));
  const IndexReport report = index.Report();
  ASSERT_EQ(report.spaces.size(), 1u);
  EXPECT_EQ(report.spaces[0].vectors, 1u);
  EXPECT_EQ(report.spaces[0].documents, 1u);
  EXPECT_EQ(report.spaces[0].kind, "exact");
  EXPECT_GT(report.spaces[0].memory_bytes, 0u);

  // A key freed by the deletion is used again, and searches still name the right chunk.
  const auto [third, third_chunks] = StoreDocument("u1", "m", {{-1, 0}, {0, -1}});
  ASSERT_TRUE(index.CatchUp().ok());
  EXPECT_THAT(NearestIds(index, "u1", "m", {0, -1}, 1), ElementsAre(third_chunks[1]));
  EXPECT_THAT(NearestIds(index, "u1", "m", {-1, 0}, 1), ElementsAre(third_chunks[0]));
}

TEST_F(SearchIndexTest, ReembeddedDocumentMovesToTheNewModelsSpace) {
  SearchIndex index(store_.get(), Options());
  const auto [doc, chunks] = StoreDocument("u1", "local", {{1, 0}});
  ASSERT_TRUE(index.CatchUp().ok());
  EXPECT_EQ(index.Coverage("u1", "real", {doc}).other_space, std::vector<std::string>{doc});
  // ingestd reembed: the real model's vectors replace the fallback's.
  ASSERT_TRUE(store_->ReplaceDocumentVectors(doc, {{chunks[0], doc, "real", {0, 0, 1}}}).ok());
  ASSERT_TRUE(index.CatchUp().ok());
  EXPECT_THAT(NearestIds(index, "u1", "local", {1, 0}, 10), IsEmpty());
  EXPECT_THAT(NearestIds(index, "u1", "real", {0, 0, 1}, 10), ElementsAre(chunks[0]));
  const SpaceCoverage coverage = index.Coverage("u1", "real", {doc, "no-such-document"});
  EXPECT_THAT(coverage.in_space, ElementsAre(doc));
  EXPECT_THAT(coverage.other_space, IsEmpty());
  EXPECT_THAT(coverage.without_vector, ElementsAre("no-such-document"));
}

TEST_F(SearchIndexTest, ConcurrentCatchUpsAllSeeWhatWasCommittedBeforeThem) {
  SearchIndex index(store_.get(), Options(nullptr, 20'000, 2));
  StoreDocument("u1", "m", {{1, 0}, {0, 1}, {1, 1}, {-1, 0}, {0, -1}});
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (!index.CatchUp().ok() || index.Nearest("u1", "m", {1, 0}, 10, nullptr)->size() != 5)
        ++failed;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
}

TEST_F(SearchIndexTest, ASpacePastTheThresholdIsRebuiltApproximate) {
  SearchIndex index(store_.get(), Options(Rebuild(), 3));
  StoreDocument("u1", "m", {{1, 0}, {0, 1}});
  ASSERT_TRUE(index.CatchUp().ok());
  EXPECT_EQ(index.Report().spaces.at(0).kind, "exact");
  const std::vector<std::string> chunks = StoreDocument("u1", "m", {{0.8f, 0.6f}, {-1, 0}}).second;
  ASSERT_TRUE(index.CatchUp().ok());
  const IndexReport report = index.Report();
  EXPECT_EQ(report.spaces.at(0).kind, "hnsw");
  EXPECT_EQ(report.spaces.at(0).vectors, 4u);
  EXPECT_THAT(NearestIds(index, "u1", "m", {-1, 0}, 1), ElementsAre(chunks[1]));
}

TEST_F(SearchIndexTest, AFilteredSearchTheOverFetchMissesScansTheAllowedDocumentsExactly) {
  // The graph answers one hit at most: the over-fetch never reaches the filtered document.
  SearchIndex index(store_.get(), Options(Rebuild(1), 1));
  StoreDocument("u1", "m", {{1, 0}, {0.9f, 0.1f}});
  const auto [doc, chunks] = StoreDocument("u1", "m", {{0, 1}, {0.5f, 0.5f}});
  ASSERT_TRUE(index.CatchUp().ok());
  ASSERT_EQ(index.Report().spaces.at(0).kind, "hnsw");
  const std::unordered_set<std::string> allowed{doc};
  EXPECT_THAT(NearestIds(index, "u1", "m", {1, 0}, 5, &allowed), ElementsAre(chunks[1], chunks[0]));
}

TEST_F(SearchIndexTest, UsersNeverShareASpace) {
  const auto [a, a_chunks] = StoreDocument("alice", "m", {{1, 0}});
  const auto [b, b_chunks] = StoreDocument("bob", "m", {{1, 0}});
  SearchIndex index(store_.get(), Options());
  ASSERT_TRUE(index.CatchUp().ok());
  EXPECT_THAT(NearestIds(index, "alice", "m", {1, 0}, 10), ElementsAre(a_chunks[0]));
  EXPECT_THAT(NearestIds(index, "bob", "m", {1, 0}, 10), ElementsAre(b_chunks[0]));
  EXPECT_EQ(index.Report().spaces.size(), 2u);
}

}  // namespace
}  // namespace ingestd::search
