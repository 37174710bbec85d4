#include "text/bpe.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <queue>

namespace ingestd {
namespace {

// Above this many bytes the array algorithm's O(n^2) scan loses to the heap.
constexpr size_t kSmallPieceMax = 128;
constexpr int kNoRank = INT_MAX;
constexpr int kSingleByte = -1;

int PairRank(std::string_view piece, size_t start, size_t end, const RankTable& ranks) {
  int r = end - start == 2 ? ranks.FindPair(piece[start], piece[start + 1])
                           : ranks.Find(piece.substr(start, end - start));
  return r == RankTable::kNotFound ? kNoRank : r;
}

void EncodeSmall(std::string_view piece, const RankTable& ranks, std::vector<int>* out) {
  const size_t n = piece.size();
  // start[i] starts token i; rank[i] ranks merging tokens i and i+1; token[i] is token i's
  // rank once it is a merge (single bytes are looked up at the end).
  uint32_t start[kSmallPieceMax + 1];
  int rank[kSmallPieceMax + 1];
  int token[kSmallPieceMax];
  size_t count = n + 1;  // boundaries, including the end
  for (size_t i = 0; i <= n; ++i) start[i] = static_cast<uint32_t>(i);
  std::fill(token, token + n, kSingleByte);
  for (size_t i = 0; i + 1 < n; ++i) rank[i] = PairRank(piece, i, i + 2, ranks);
  rank[n - 1] = kNoRank;
  rank[n] = kNoRank;
  while (count > 2) {
    int best = kNoRank;
    size_t at = 0;
    for (size_t i = 0; i + 2 < count; ++i) {
      if (rank[i] < best) {
        best = rank[i];
        at = i;
      }
    }
    if (best == kNoRank) break;
    // Drop boundary at+1, then re-rank the pairs that now touch the merged token.
    std::copy(start + at + 2, start + count, start + at + 1);
    std::copy(rank + at + 2, rank + count, rank + at + 1);
    // token has one slot fewer than start: token + count may lie past its end.
    std::copy(token + at + 2, token + (count - 1), token + at + 1);
    token[at] = best;
    --count;
    rank[at] = at + 2 < count ? PairRank(piece, start[at], start[at + 2], ranks) : kNoRank;
    if (at > 0) rank[at - 1] = PairRank(piece, start[at - 1], start[at + 1], ranks);
  }
  for (size_t i = 0; i + 1 < count; ++i) {
    out->push_back(token[i] != kSingleByte ? token[i] : ranks.Find(piece.substr(start[i], 1)));
  }
}

}  // namespace

void BytePairEncodeLarge(std::string_view piece, const RankTable& ranks, std::vector<int>* out) {
  const size_t n = piece.size();
  // Token i spans [i, next[i]); prev/next link the live tokens; dead ones have next == 0.
  std::vector<uint32_t> next(n), prev(n);
  for (size_t i = 0; i < n; ++i) {
    next[i] = static_cast<uint32_t>(i + 1);
    prev[i] = i == 0 ? UINT32_MAX : static_cast<uint32_t>(i - 1);
  }
  std::vector<int> rank(n, kNoRank);       // rank of merging token i with its successor
  std::vector<int> token(n, kSingleByte);  // token i's rank once it is a merge
  struct Candidate {
    int rank;
    uint32_t pos;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;  // lowest rank, then leftmost
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto rerank = [&](uint32_t i) {
    uint32_t j = next[i];
    rank[i] = j < n ? PairRank(piece, i, next[j], ranks) : kNoRank;
    if (rank[i] != kNoRank) heap.push({rank[i], i});
  };
  for (uint32_t i = 0; i + 1 < n; ++i) rerank(i);
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    if (next[c.pos] == 0 || rank[c.pos] != c.rank) continue;  // stale entry
    uint32_t j = next[c.pos];                                 // absorbed into c.pos
    next[c.pos] = next[j];
    if (next[j] < n) prev[next[j]] = c.pos;
    next[j] = 0;
    rank[j] = kNoRank;
    token[c.pos] = c.rank;
    rerank(c.pos);
    if (prev[c.pos] != UINT32_MAX) rerank(prev[c.pos]);
  }
  for (uint32_t i = 0; i < n; i = next[i]) {
    out->push_back(token[i] != kSingleByte ? token[i] : ranks.Find(piece.substr(i, 1)));
  }
}

void BytePairEncode(std::string_view piece, const RankTable& ranks, std::vector<int>* out) {
  if (piece.size() == 1) {
    out->push_back(ranks.Find(piece));
  } else if (piece.size() <= kSmallPieceMax) {
    EncodeSmall(piece, ranks, out);
  } else {
    BytePairEncodeLarge(piece, ranks, out);
  }
}

}  // namespace ingestd
