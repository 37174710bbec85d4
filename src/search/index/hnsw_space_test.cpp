#include "search/index/hnsw_space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "search/index/exact_space.h"

namespace ingestd::search {
namespace {

std::vector<float> UnitVector(size_t dims, std::mt19937& rng) {
  std::normal_distribution<float> g;
  std::vector<float> v(dims);
  double norm = 0;
  for (float& x : v) {
    x = g(rng);
    norm += double{x} * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

std::set<VectorKey> Keys(const std::vector<VectorHit>& hits) {
  std::set<VectorKey> keys;
  for (const VectorHit& hit : hits) keys.insert(hit.key);
  return keys;
}

// The share of the exact top 10 that `space` finds, over kQueries random queries (seeded).
double RecallAt10(const VectorSpace& exact, const VectorSpace& space, uint32_t seed) {
  constexpr int kQueries = 200;
  std::mt19937 rng(seed);
  size_t found = 0;
  for (int q = 0; q < kQueries; ++q) {
    const auto query = UnitVector(static_cast<size_t>(exact.dims()), rng);
    const auto got = space.Search(query.data(), 10);
    EXPECT_EQ(got.size(), 10u);
    for (size_t i = 1; i < got.size(); ++i) EXPECT_GE(got[i - 1].score, got[i].score);
    const auto want_keys = Keys(exact.Search(query.data(), 10));
    for (const VectorHit& hit : got) found += want_keys.count(hit.key);
  }
  return static_cast<double>(found) / (kQueries * 10);
}

// 3,000 random unit vectors (past the initial capacity of 1,024, so the graph has grown
// twice), fixed seed, default options: the graph finds ≥ 95 % of the exact top 10.
TEST(HnswSpaceTest, RecallAt10AgainstTheExactScanIsAtLeast95Percent) {
  constexpr size_t kDims = 40;
  std::mt19937 rng(11);
  auto exact = MakeExactSpace(kDims, QueryDensity::kDense);
  auto hnsw = MakeHnswSpace(kDims, HnswOptions{});
  for (VectorKey key = 0; key < 3000; ++key) {
    const auto v = UnitVector(kDims, rng);
    exact->Upsert(key, v.data());
    hnsw->Upsert(key, v.data());
  }
  ASSERT_EQ(hnsw->size(), 3000u);
  EXPECT_GE(RecallAt10(*exact, *hnsw, 12), 0.95);
}

// One built graph, two breadths: ef_search as wide as the graph finds the exact top 10.
TEST(HnswSpaceTest, SetEfSearchWidensTheSearchOfTheBuiltGraph) {
  constexpr size_t kDims = 40;
  std::mt19937 rng(13);
  auto exact = MakeExactSpace(kDims, QueryDensity::kDense);
  for (VectorKey key = 0; key < 3000; ++key) exact->Upsert(key, UnitVector(kDims, rng).data());
  auto hnsw = MakeHnswSpaceFrom(*exact, HnswOptions{.ef_search = 10});
  const double narrow = RecallAt10(*exact, *hnsw, 14);
  hnsw->SetEfSearch(3000);
  const double wide = RecallAt10(*exact, *hnsw, 14);
  EXPECT_LT(narrow, wide);
  EXPECT_GE(wide, 0.99);
}

TEST(HnswSpaceTest, ScoresAreTheInnerProductsTheExactScanGives) {
  std::mt19937 rng(2);
  auto exact = MakeExactSpace(24, QueryDensity::kDense);
  auto hnsw = MakeHnswSpace(24, HnswOptions{});
  for (VectorKey key = 0; key < 50; ++key) {
    const auto v = UnitVector(24, rng);
    exact->Upsert(key, v.data());
    hnsw->Upsert(key, v.data());
  }
  const auto query = UnitVector(24, rng);
  std::map<VectorKey, float> exact_score;
  for (const VectorHit& hit : exact->Search(query.data(), 50)) exact_score[hit.key] = hit.score;
  for (const VectorHit& hit : hnsw->Search(query.data(), 5)) {
    EXPECT_EQ(hit.score, exact_score.at(hit.key)) << hit.key;
  }
}

TEST(HnswSpaceTest, RemovedKeysAreNeverReturnedUntilUpsertedAgain) {
  constexpr size_t kDims = 16;
  std::mt19937 rng(5);
  auto hnsw = MakeHnswSpace(kDims, HnswOptions{});
  std::vector<std::vector<float>> vectors;
  for (VectorKey key = 0; key < 1500; ++key) {
    vectors.push_back(UnitVector(kDims, rng));
    hnsw->Upsert(key, vectors.back().data());
  }
  for (VectorKey key = 0; key < 1500; key += 2) hnsw->Remove(key);
  hnsw->Remove(0);      // twice: a no-op
  hnsw->Remove(99999);  // never stored: a no-op
  EXPECT_EQ(hnsw->size(), 750u);
  for (int q = 0; q < 50; ++q) {
    const auto query = UnitVector(kDims, rng);
    for (const VectorHit& hit : hnsw->Search(query.data(), 50)) EXPECT_EQ(hit.key % 2, 1u);
  }
  // A removed vector is its own nearest neighbour again once upserted.
  hnsw->Upsert(42, vectors[42].data());
  EXPECT_EQ(hnsw->size(), 751u);
  const auto hits = hnsw->Search(vectors[42].data(), 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].key, 42u);
}

TEST(HnswSpaceTest, UpsertOfAStoredKeyReplacesItsVector) {
  constexpr size_t kDims = 16;
  std::mt19937 rng(8);
  auto hnsw = MakeHnswSpace(kDims, HnswOptions{});
  for (VectorKey key = 0; key < 300; ++key) hnsw->Upsert(key, UnitVector(kDims, rng).data());
  const auto moved = UnitVector(kDims, rng);
  hnsw->Upsert(7, moved.data());
  EXPECT_EQ(hnsw->size(), 300u);
  const auto hits = hnsw->Search(moved.data(), 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].key, 7u);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
}

TEST(HnswSpaceTest, AnEmptyOrSmallSpaceReturnsWhatItHolds) {
  auto hnsw = MakeHnswSpace(4, HnswOptions{});
  const float q[4] = {1, 0, 0, 0};
  EXPECT_TRUE(hnsw->Search(q, 10).empty());
  const float a[4] = {1, 0, 0, 0}, b[4] = {0, 1, 0, 0};
  hnsw->Upsert(1, a);
  hnsw->Upsert(1, b);  // the only point, moved
  hnsw->Upsert(2, a);
  const auto hits = hnsw->Search(q, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].key, 2u);
  EXPECT_EQ(hits[1].key, 1u);
  EXPECT_TRUE(hnsw->Search(q, 0).empty());
  hnsw->Remove(1);
  hnsw->Remove(2);
  EXPECT_TRUE(hnsw->Search(q, 10).empty());
}

TEST(HnswSpaceTest, MakeHnswSpaceFromCopiesEveryLiveVector) {
  constexpr size_t kDims = 12;
  std::mt19937 rng(9);
  auto exact = MakeExactSpace(kDims, QueryDensity::kDense);
  for (VectorKey key = 0; key < 200; ++key) exact->Upsert(key, UnitVector(kDims, rng).data());
  exact->Remove(17);
  auto hnsw = MakeHnswSpaceFrom(*exact, HnswOptions{});
  EXPECT_EQ(hnsw->dims(), static_cast<int>(kDims));
  EXPECT_EQ(hnsw->size(), 199u);
  EXPECT_EQ(exact->size(), 199u);
  std::map<VectorKey, std::vector<float>> copied;
  hnsw->ForEach([&](VectorKey key, const float* v) { copied[key].assign(v, v + kDims); });
  ASSERT_EQ(copied.size(), 199u);
  exact->ForEach([&](VectorKey key, const float* v) {
    EXPECT_EQ(copied.at(key), std::vector<float>(v, v + kDims)) << key;
  });
}

TEST(HnswSpaceTest, MemoryGrowsWithTheVectorsHeld) {
  std::mt19937 rng(4);
  auto hnsw = MakeHnswSpace(64, HnswOptions{});
  const size_t empty = hnsw->memory_bytes();
  for (VectorKey key = 0; key < 2000; ++key) hnsw->Upsert(key, UnitVector(64, rng).data());
  EXPECT_GE(hnsw->memory_bytes(), empty + 2000 * 64 * sizeof(float));
}

TEST(HnswSpaceTest, OptionsOutOfRangeAreRefused) {
  EXPECT_TRUE(HnswOptions{}.Validate().ok());
  EXPECT_FALSE((HnswOptions{.m = 1}).Validate().ok());
  EXPECT_FALSE((HnswOptions{.m = 2000}).Validate().ok());
  EXPECT_FALSE((HnswOptions{.ef_construction = 0}).Validate().ok());
  EXPECT_FALSE((HnswOptions{.ef_search = 0}).Validate().ok());
}

}  // namespace
}  // namespace ingestd::search
