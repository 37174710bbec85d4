#include "search/index/dot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace ingestd::search {
namespace {

std::vector<float> RandomFloats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

double DoubleDot(const float* a, const float* b, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += double{a[i]} * double{b[i]};
  return sum;
}

// Every length around the 8-float SIMD width and the 4-row blocks, both kernels.
TEST(DotTest, MatchesADoublePrecisionSumForEveryLengthAndRowCount) {
  std::mt19937 rng(7);
  for (size_t dims : {1, 3, 7, 8, 9, 15, 16, 17, 31, 100, 1536}) {
    for (size_t count : {0, 1, 3, 4, 5, 9}) {
      const auto query = RandomFloats(dims, rng);
      const auto rows = RandomFloats(dims * count, rng);
      std::vector<float> out(count, NAN), portable(count, NAN);
      DotRows(query.data(), rows.data(), count, dims, out.data());
      DotRowsPortable(query.data(), rows.data(), count, dims, portable.data());
      for (size_t r = 0; r < count; ++r) {
        const float* row = rows.data() + r * dims;
        const double want = DoubleDot(query.data(), row, dims);
        const double tolerance = 1e-5 * std::sqrt(static_cast<double>(dims));
        EXPECT_NEAR(out[r], want, tolerance) << "dims " << dims << " row " << r;
        EXPECT_NEAR(portable[r], want, tolerance) << "dims " << dims << " row " << r;
        // The contract the spaces rely on: one pair scores alike through either entry.
        EXPECT_EQ(out[r], Dot(query.data(), row, dims)) << "dims " << dims << " row " << r;
        EXPECT_EQ(portable[r], DotPortable(query.data(), row, dims));
      }
    }
  }
}

// A query with few nonzeros scores every row as the dense kernels do, through either entry.
TEST(DotTest, SparseQueriesScoreEqualToTheDenseKernels) {
  std::mt19937 rng(11);
  for (size_t dims : {8, 16, 64, 1024}) {
    for (size_t nnz : {0, 1, 2, 5, 8}) {
      const size_t count = 9;
      const auto rows = RandomFloats(dims * count, rng);
      std::vector<float> query(dims, 0);
      std::vector<uint32_t> nonzero;
      for (size_t i = 0; i < dims && nonzero.size() < nnz; i += 1 + rng() % 7) {
        query[i] = RandomFloats(1, rng)[0];
        nonzero.push_back(static_cast<uint32_t>(i));
      }
      std::vector<float> dense(count, NAN), sparse(count, NAN), dense_portable(count, NAN),
          sparse_portable(count, NAN);
      DotRows(query.data(), rows.data(), count, dims, dense.data());
      DotRowsSparse(query.data(), nonzero.data(), nonzero.size(), rows.data(), count, dims,
                    sparse.data());
      DotRowsPortable(query.data(), rows.data(), count, dims, dense_portable.data());
      DotRowsSparsePortable(query.data(), nonzero.data(), nonzero.size(), rows.data(), count, dims,
                            sparse_portable.data());
      for (size_t r = 0; r < count; ++r) {
        EXPECT_EQ(sparse[r], dense[r]) << "dims " << dims << " nnz " << nnz << " row " << r;
        EXPECT_EQ(sparse_portable[r], dense_portable[r]) << "dims " << dims << " row " << r;
      }
    }
  }
}

// A dimension-major block scores each of its rows as DotRowsSparse scores the row-major row.
TEST(DotTest, DimensionMajorBlocksScoreEqualToTheSparseRowKernels) {
  std::mt19937 rng(13);
  for (size_t dims : {8, 64, 1024}) {
    for (size_t nnz : {0, 1, 5, 32}) {
      const auto rows = RandomFloats(dims * kDimMajorRows, rng);
      std::vector<float> block(dims * kDimMajorRows);
      for (size_t r = 0; r < kDimMajorRows; ++r) {
        for (size_t d = 0; d < dims; ++d) block[d * kDimMajorRows + r] = rows[r * dims + d];
      }
      std::vector<float> query(dims, 0);
      std::vector<uint32_t> nonzero;
      for (size_t i = 0; i < dims && nonzero.size() < nnz; i += 1 + rng() % 7) {
        query[i] = RandomFloats(1, rng)[0];
        nonzero.push_back(static_cast<uint32_t>(i));
      }
      std::vector<float> by_row(kDimMajorRows, NAN), by_block(kDimMajorRows, NAN),
          by_row_portable(kDimMajorRows, NAN), by_block_portable(kDimMajorRows, NAN);
      DotRowsSparse(query.data(), nonzero.data(), nonzero.size(), rows.data(), kDimMajorRows, dims,
                    by_row.data());
      DotBlockSparse(query.data(), nonzero.data(), nonzero.size(), block.data(), by_block.data());
      DotRowsSparsePortable(query.data(), nonzero.data(), nonzero.size(), rows.data(),
                            kDimMajorRows, dims, by_row_portable.data());
      DotBlockSparsePortable(query.data(), nonzero.data(), nonzero.size(), block.data(),
                             by_block_portable.data());
      for (size_t r = 0; r < kDimMajorRows; ++r) {
        EXPECT_EQ(by_block[r], by_row[r]) << "dims " << dims << " nnz " << nnz << " row " << r;
        EXPECT_EQ(by_block_portable[r], by_row_portable[r])
            << "dims " << dims << " nnz " << nnz << " row " << r;
      }
    }
  }
}

TEST(DotTest, NamesTheKernelItRuns) {
  const std::string name = DotKernelName();
  EXPECT_TRUE(name == "avx2+fma" || name == "portable") << name;
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_EQ(name, "avx2+fma");
  }
#endif
}

}  // namespace
}  // namespace ingestd::search
