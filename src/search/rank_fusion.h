// Reciprocal-rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): an item's fused score is
// the sum over the ranked lists holding it of 1 / (k + rank), rank counted from 1. Scores of
// different rankers (an inner product, BM25, ts_rank_cd) never need to be comparable.
#pragma once

#include <string>
#include <vector>

namespace ingestd::search {

inline constexpr int kRrfK = 60;

struct FusedItem {
  std::string id;
  double score = 0;
  std::vector<int> ranks;  // ranks[i]: the item's rank in lists[i], from 1; 0 when absent
};

// Every item of lists (each best first, ids unique within a list), best fused score first.
// Equal scores are common (rank r in one list alone scores the same in every list), so ties
// go by the best single rank, then by the ranks list by list in the order given (absent
// after any rank): lists[0] has the casting vote. Two distinct items never hold one rank of
// one list, so the order depends on the ranks only, never on the ids (random per upload):
// the same rankings always fuse to the same order.
std::vector<FusedItem> FuseRanks(const std::vector<std::vector<std::string>>& lists, int k = kRrfK);

}  // namespace ingestd::search
