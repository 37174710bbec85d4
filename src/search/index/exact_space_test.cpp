#include "search/index/exact_space.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "search/index/dot.h"

namespace ingestd::search {
namespace {

// A space kept the obvious way: every vector in a map, every query a full sort.
class BruteForceSpace {
 public:
  explicit BruteForceSpace(size_t dims) : dims_(dims) {}
  void Upsert(VectorKey key, const std::vector<float>& v) { vectors_[key] = v; }
  void Remove(VectorKey key) { vectors_.erase(key); }
  std::vector<VectorHit> Search(const std::vector<float>& q, int k) const {
    std::vector<VectorHit> all;
    for (const auto& [key, v] : vectors_) all.push_back({key, Dot(q.data(), v.data(), dims_)});
    std::sort(all.begin(), all.end(), [](const VectorHit& a, const VectorHit& b) {
      return a.score > b.score || (a.score == b.score && a.key < b.key);
    });
    all.resize(std::min(all.size(), static_cast<size_t>(std::max(k, 0))));
    return all;
  }
  size_t size() const { return vectors_.size(); }

 private:
  size_t dims_;
  std::map<VectorKey, std::vector<float>> vectors_;
};

std::vector<float> RandomVector(size_t dims, std::mt19937& rng) {
  std::normal_distribution<float> g;
  std::vector<float> v(dims);
  for (float& x : v) x = g(rng);
  return v;
}

void ExpectSameHits(const std::vector<VectorHit>& got, const std::vector<VectorHit>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].key, want[i].key) << "rank " << i;
    EXPECT_EQ(got[i].score, want[i].score) << "rank " << i;
  }
}

// Random upserts (new keys and replacements) and removals, checked against the reference
// after each step, at sizes around the scan's 4-row and 64-row blocks and with dims that
// are not a multiple of the SIMD width; queries dense and (dims 64 and 256) sparse enough for
// the sparse kernel; spaces with and without the dimension-major copy.
TEST(ExactSpaceTest, TopKEqualsABruteForceReferenceThroughUpsertsAndRemovals) {
  std::mt19937 rng(42);
  for (QueryDensity queries : {QueryDensity::kDense, QueryDensity::kSparse}) {
    for (size_t dims : {1, 5, 13, 64, 100, 256}) {
      auto space = MakeExactSpace(static_cast<int>(dims), queries);
      ASSERT_EQ(space->dims(), static_cast<int>(dims));
      BruteForceSpace reference(dims);
      std::uniform_int_distribution<VectorKey> pick_key(0, 299);
      for (int step = 0; step < 600; ++step) {
        const VectorKey key = pick_key(rng);
        if (step % 3 == 2) {
          space->Remove(key);
          reference.Remove(key);
        } else {
          const auto v = RandomVector(dims, rng);
          space->Upsert(key, v.data());
          reference.Upsert(key, v);
        }
        ASSERT_EQ(space->size(), reference.size());
        if (step % 7 == 0) {
          const auto q = RandomVector(dims, rng);
          std::vector<float> sparse(dims, 0);
          for (size_t i = 0; i < dims / 32; ++i) sparse[(i * 37) % dims] = q[i];
          for (int k : {1, 10, 65, 1000}) {
            SCOPED_TRACE("sparse copy " + std::to_string(queries == QueryDensity::kSparse) +
                         " dims " + std::to_string(dims) + " step " + std::to_string(step) + " k " +
                         std::to_string(k));
            ExpectSameHits(space->Search(q.data(), k), reference.Search(q, k));
            ExpectSameHits(space->Search(sparse.data(), k), reference.Search(sparse, k));
          }
        }
      }
    }
  }
}

// The sparse scan reads a dimension-major copy in blocks of kDimMajorRows slots: grow the
// space one vector at a time across block boundaries, then shrink it by removals (swap-remove
// moves the last slot, and a block is dropped and later regrown), and check after each step
// at a boundary that a sparse query ranks and scores exactly as the dense reference does.
TEST(ExactSpaceTest, SparseQueriesMatchTheDenseReferenceAcrossBlockBoundaries) {
  std::mt19937 rng(7);
  const size_t dims = 1024;
  auto space = MakeExactSpace(static_cast<int>(dims), QueryDensity::kSparse);
  BruteForceSpace reference(dims);
  std::vector<float> sparse(dims, 0);
  for (size_t i = 0; i < 24; ++i) sparse[(i * 331 + 5) % dims] = RandomVector(1, rng)[0];
  const auto check = [&](const char* phase) {
    SCOPED_TRACE(std::string(phase) + " size " + std::to_string(space->size()));
    for (int k : {1, 10, 1000}) {
      ExpectSameHits(space->Search(sparse.data(), k), reference.Search(sparse, k));
    }
  };
  const auto near_boundary = [](size_t n) {
    const size_t r = n % kDimMajorRows;
    return r <= 1 || r == kDimMajorRows - 1;
  };
  VectorKey next = 0;
  for (; next < 3 * kDimMajorRows + 2; ++next) {
    const auto v = RandomVector(dims, rng);
    space->Upsert(next, v.data());
    reference.Upsert(next, v);
    if (near_boundary(space->size())) check("grow");
  }
  // Remove from the front so that every removal moves the last slot into the freed one.
  for (VectorKey key = 0; space->size() > kDimMajorRows - 3; ++key) {
    space->Remove(key);
    reference.Remove(key);
    if (near_boundary(space->size())) check("shrink");
  }
  for (int i = 0; i < 5; ++i, ++next) {  // regrow the dropped block over its stale tail
    const auto v = RandomVector(dims, rng);
    space->Upsert(next, v.data());
    reference.Upsert(next, v);
    check("regrow");
  }
  const auto v = RandomVector(dims, rng);  // replace a stored vector in place
  space->Upsert(next - 1, v.data());
  reference.Upsert(next - 1, v);
  check("replace");
}

TEST(ExactSpaceTest, EqualScoresRankBySmallerKeyWhateverTheStorageOrder) {
  auto space = MakeExactSpace(3, QueryDensity::kDense);
  const float same[3] = {0.5f, 0.5f, 0.0f};
  const float best[3] = {1, 1, 0};
  for (VectorKey key : {9u, 4u, 7u, 1u, 8u}) space->Upsert(key, same);
  space->Upsert(5, best);
  space->Remove(4);  // swap-remove moves key 5's vector into the freed slot
  const float query[3] = {1, 1, 0};
  const auto hits = space->Search(query, 4);
  ASSERT_EQ(hits.size(), 4u);
  EXPECT_EQ(hits[0].key, 5u);
  EXPECT_FLOAT_EQ(hits[0].score, 2.0f);
  EXPECT_EQ(hits[1].key, 1u);
  EXPECT_EQ(hits[2].key, 7u);
  EXPECT_EQ(hits[3].key, 8u);
}

TEST(ExactSpaceTest, KAboveTheSizeReturnsEveryVectorAndKZeroNone) {
  auto space = MakeExactSpace(2, QueryDensity::kDense);
  const float q[2] = {1, 0};
  EXPECT_TRUE(space->Search(q, 10).empty());
  const float a[2] = {1, 0}, b[2] = {0, 1};
  space->Upsert(1, a);
  space->Upsert(2, b);
  EXPECT_EQ(space->Search(q, 10).size(), 2u);
  EXPECT_TRUE(space->Search(q, 0).empty());
  EXPECT_TRUE(space->Search(q, -3).empty());
}

TEST(ExactSpaceTest, UpsertOfAStoredKeyReplacesItsVector) {
  auto space = MakeExactSpace(2, QueryDensity::kDense);
  const float a[2] = {1, 0}, b[2] = {0, 1};
  space->Upsert(3, a);
  space->Upsert(3, b);
  EXPECT_EQ(space->size(), 1u);
  const auto hits = space->Search(b, 5);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].key, 3u);
  EXPECT_FLOAT_EQ(hits[0].score, 1.0f);
}

TEST(ExactSpaceTest, RemovedKeysAreNeverReturnedAndUnknownKeysAreANoOp) {
  std::mt19937 rng(3);
  auto space = MakeExactSpace(16, QueryDensity::kDense);
  for (VectorKey key = 0; key < 100; ++key) space->Upsert(key, RandomVector(16, rng).data());
  for (VectorKey key = 0; key < 100; key += 2) space->Remove(key);
  space->Remove(12345);
  EXPECT_EQ(space->size(), 50u);
  const auto hits = space->Search(RandomVector(16, rng).data(), 100);
  ASSERT_EQ(hits.size(), 50u);
  for (const VectorHit& hit : hits) EXPECT_EQ(hit.key % 2, 1u) << hit.key;
}

TEST(ExactSpaceTest, ForEachVisitsEveryLiveVectorOnce) {
  auto space = MakeExactSpace(2, QueryDensity::kDense);
  for (VectorKey key = 0; key < 10; ++key) {
    const float v[2] = {static_cast<float>(key), 1};
    space->Upsert(key, v);
  }
  space->Remove(3);
  std::map<VectorKey, float> seen;
  space->ForEach([&](VectorKey key, const float* v) { seen[key] += v[0]; });
  ASSERT_EQ(seen.size(), 9u);
  EXPECT_EQ(seen.count(3), 0u);
  for (const auto& [key, first] : seen) EXPECT_EQ(first, static_cast<float>(key));
}

TEST(ExactSpaceTest, MemoryGrowsWithTheVectorsHeldAndOnlySparseSpacesKeepTheCopy) {
  std::mt19937 rng(5);
  auto dense = MakeExactSpace(256, QueryDensity::kDense);
  auto sparse = MakeExactSpace(256, QueryDensity::kSparse);
  const size_t empty = dense->memory_bytes();
  for (VectorKey key = 0; key < 1000; ++key) {
    const std::vector<float> v = RandomVector(256, rng);
    dense->Upsert(key, v.data());
    sparse->Upsert(key, v.data());
  }
  const size_t rows = 1000 * 256 * sizeof(float);
  EXPECT_GE(dense->memory_bytes(), empty + rows);
  // The rows once; a second copy would be another `rows`.
  EXPECT_LT(dense->memory_bytes(), empty + 2 * rows);
  // The rows plus their dimension-major copy.
  EXPECT_GE(sparse->memory_bytes(), empty + 2 * rows);
}

}  // namespace
}  // namespace ingestd::search
