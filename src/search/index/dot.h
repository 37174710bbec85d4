// Inner products of float vectors, the one kernel both spaces score with. The widest
// instruction set this CPU has is picked once at run time (AVX2 + FMA, else portable code),
// so the same binary runs on any x86-64 and never executes an instruction the CPU lacks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ingestd::search {

// a · b over n floats.
float Dot(const float* a, const float* b, size_t n);

// out[i] = query · rows[i·dims …] for the `count` rows stored one after another; each out[i]
// equals Dot(query, row i, dims) bit for bit, so every space scores a pair alike.
void DotRows(const float* query, const float* rows, size_t count, size_t dims, float* out);

// DotRows for a query that is zero outside `nonzero` (nnz ascending indices; dims a multiple
// of 8): only those columns of each row are read. A short query of the local embedder
// (ingestd-hash-v1) sets a few dozen of its 1024 dims, and a scan is bandwidth-bound. Equal
// (==) to DotRows for every row: the same partial sums in the same order, and a zero term
// changes no sum.
void DotRowsSparse(const float* query, const uint32_t* nonzero, size_t nnz, const float* rows,
                   size_t count, size_t dims, float* out);

// Rows per block of a dimension-major copy (DotBlockSparse): block[d·kDimMajorRows + r] is
// dim d of the block's row r, so one dim of the whole block is contiguous.
constexpr size_t kDimMajorRows = 64;

// DotRowsSparse over one dimension-major block of kDimMajorRows rows: a nonzero dim reads one
// contiguous run of the block instead of one cache line in each 4 KB row. out[r] equals
// DotRowsSparse's score of row r bit for bit (same lanes, same order, same final sums).
void DotBlockSparse(const float* query, const uint32_t* nonzero, size_t nnz, const float* block,
                    float* out);

// "avx2+fma" or "portable": which kernel Dot and DotRows run (for the benchmark report).
const char* DotKernelName();

// The portable kernels, which Dot and DotRows fall back to; public so that tests check them
// on a CPU that would pick the SIMD ones.
float DotPortable(const float* a, const float* b, size_t n);
void DotRowsPortable(const float* query, const float* rows, size_t count, size_t dims, float* out);
void DotRowsSparsePortable(const float* query, const uint32_t* nonzero, size_t nnz,
                           const float* rows, size_t count, size_t dims, float* out);
void DotBlockSparsePortable(const float* query, const uint32_t* nonzero, size_t nnz,
                            const float* block, float* out);

}  // namespace ingestd::search
