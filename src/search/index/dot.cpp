#include "search/index/dot.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define INGESTD_DOT_X86 1
#endif

namespace ingestd::search {

float DotPortable(const float* a, const float* b, size_t n) {
  // Eight partial sums, so the compiler may vectorise without reassociating one sum.
  float s[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
  }
  float sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void DotRowsPortable(const float* query, const float* rows, size_t count, size_t dims, float* out) {
  for (size_t r = 0; r < count; ++r) out[r] = DotPortable(query, rows + r * dims, dims);
}

void DotRowsSparsePortable(const float* query, const uint32_t* nonzero, size_t nnz,
                           const float* rows, size_t count, size_t dims, float* out) {
  for (size_t r = 0; r < count; ++r) {
    const float* row = rows + r * dims;
    float s[8] = {};  // DotPortable's partial sums: element i goes to s[i % 8]
    for (size_t n = 0; n < nnz; ++n) {
      const uint32_t i = nonzero[n];
      s[i & 7] += query[i] * row[i];
    }
    out[r] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  }
}

void DotBlockSparsePortable(const float* query, const uint32_t* nonzero, size_t nnz,
                            const float* block, float* out) {
  float s[8][kDimMajorRows] = {};  // DotRowsSparsePortable's s[i % 8], for every row
  for (size_t n = 0; n < nnz; ++n) {
    const uint32_t i = nonzero[n];
    const float q = query[i];
    const float* column = block + i * kDimMajorRows;
    float* lane = s[i & 7];
    for (size_t r = 0; r < kDimMajorRows; ++r) lane[r] += q * column[r];
  }
  for (size_t r = 0; r < kDimMajorRows; ++r) {
    out[r] =
        ((s[0][r] + s[1][r]) + (s[2][r] + s[3][r])) + ((s[4][r] + s[5][r]) + (s[6][r] + s[7][r]));
  }
}

namespace {

#ifdef INGESTD_DOT_X86
__attribute__((target("avx2,fma"))) float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// One accumulator, in the same order as each row of DotRowsAvx2, so that Dot and DotRows
// agree bit for bit.
__attribute__((target("avx2,fma"))) float DotAvx2(const float* a, const float* b, size_t n) {
  __m256 acc = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(b + i), _mm256_loadu_ps(a + i), acc);
  }
  float sum = HorizontalSum(acc);
  for (; i < n; ++i) sum += b[i] * a[i];
  return sum;
}

// Four rows per pass: each query load feeds four FMAs and four independent sums hide the
// FMA latency, while the rows stream from memory once (a scan is bandwidth-bound).
__attribute__((target("avx2,fma"))) void DotRowsAvx2(const float* query, const float* rows,
                                                     size_t count, size_t dims, float* out) {
  size_t r = 0;
  for (; r + 4 <= count; r += 4) {
    const float* r0 = rows + r * dims;
    const float* r1 = r0 + dims;
    const float* r2 = r1 + dims;
    const float* r3 = r2 + dims;
    __m256 a0 = _mm256_setzero_ps();
    __m256 a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps();
    __m256 a3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= dims; i += 8) {
      const __m256 q = _mm256_loadu_ps(query + i);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + i), q, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + i), q, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + i), q, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + i), q, a3);
    }
    float s0 = HorizontalSum(a0);
    float s1 = HorizontalSum(a1);
    float s2 = HorizontalSum(a2);
    float s3 = HorizontalSum(a3);
    for (; i < dims; ++i) {
      s0 += r0[i] * query[i];
      s1 += r1[i] * query[i];
      s2 += r2[i] * query[i];
      s3 += r3[i] * query[i];
    }
    out[r] = s0;
    out[r + 1] = s1;
    out[r + 2] = s2;
    out[r + 3] = s3;
  }
  for (; r < count; ++r) out[r] = DotAvx2(query, rows + r * dims, dims);
}

// DotAvx2's lane i % 8 of the accumulator, one FMA per nonzero element, then its horizontal
// sum: lanes (0+4) + (2+6), then + ((1+5) + (3+7)).
__attribute__((target("avx2,fma"))) void DotRowsSparseAvx2(const float* query,
                                                           const uint32_t* nonzero, size_t nnz,
                                                           const float* rows, size_t count,
                                                           size_t dims, float* out) {
  for (size_t r = 0; r < count; ++r) {
    const float* row = rows + r * dims;
    float lane[8] = {};
    for (size_t n = 0; n < nnz; ++n) {
      const uint32_t i = nonzero[n];
      lane[i & 7] = __builtin_fmaf(row[i], query[i], lane[i & 7]);
    }
    const float even = (lane[0] + lane[4]) + (lane[2] + lane[6]);
    const float odd = (lane[1] + lane[5]) + (lane[3] + lane[7]);
    out[r] = even + odd;
  }
}

// DotRowsSparseAvx2 for eight rows at a time: vector lane r of acc[j] is row r's lane[j].
__attribute__((target("avx2,fma"))) void DotBlockSparseAvx2(const float* query,
                                                            const uint32_t* nonzero, size_t nnz,
                                                            const float* block, float* out) {
  for (size_t r = 0; r < kDimMajorRows; r += 8) {
    __m256 acc[8];
    for (__m256& a : acc) a = _mm256_setzero_ps();
    for (size_t n = 0; n < nnz; ++n) {
      const uint32_t i = nonzero[n];
      acc[i & 7] = _mm256_fmadd_ps(_mm256_loadu_ps(block + i * kDimMajorRows + r),
                                   _mm256_set1_ps(query[i]), acc[i & 7]);
    }
    const __m256 even = _mm256_add_ps(_mm256_add_ps(acc[0], acc[4]), _mm256_add_ps(acc[2], acc[6]));
    const __m256 odd = _mm256_add_ps(_mm256_add_ps(acc[1], acc[5]), _mm256_add_ps(acc[3], acc[7]));
    _mm256_storeu_ps(out + r, _mm256_add_ps(even, odd));
  }
}
#endif

struct Kernels {
  float (*dot)(const float*, const float*, size_t);
  void (*dot_rows)(const float*, const float*, size_t, size_t, float*);
  void (*dot_rows_sparse)(const float*, const uint32_t*, size_t, const float*, size_t, size_t,
                          float*);
  void (*dot_block_sparse)(const float*, const uint32_t*, size_t, const float*, float*);
  const char* name;
};

const Kernels& Pick() {
  static const Kernels kernels = [] {
#ifdef INGESTD_DOT_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      return Kernels{DotAvx2, DotRowsAvx2, DotRowsSparseAvx2, DotBlockSparseAvx2, "avx2+fma"};
    }
#endif
    return Kernels{DotPortable, DotRowsPortable, DotRowsSparsePortable, DotBlockSparsePortable,
                   "portable"};
  }();
  return kernels;
}

}  // namespace

float Dot(const float* a, const float* b, size_t n) { return Pick().dot(a, b, n); }

void DotRows(const float* query, const float* rows, size_t count, size_t dims, float* out) {
  Pick().dot_rows(query, rows, count, dims, out);
}

void DotRowsSparse(const float* query, const uint32_t* nonzero, size_t nnz, const float* rows,
                   size_t count, size_t dims, float* out) {
  Pick().dot_rows_sparse(query, nonzero, nnz, rows, count, dims, out);
}

void DotBlockSparse(const float* query, const uint32_t* nonzero, size_t nnz, const float* block,
                    float* out) {
  Pick().dot_block_sparse(query, nonzero, nnz, block, out);
}

const char* DotKernelName() { return Pick().name; }

}  // namespace ingestd::search
