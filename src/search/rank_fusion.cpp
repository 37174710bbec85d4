#include "search/rank_fusion.h"

#include <algorithm>
#include <climits>
#include <unordered_map>

namespace ingestd::search {
namespace {

// A rank for comparisons: absent ranks after every present one.
int Comparable(int rank) { return rank > 0 ? rank : INT_MAX; }

int BestRank(const FusedItem& item) {
  int best = INT_MAX;
  for (int r : item.ranks) best = std::min(best, Comparable(r));
  return best;
}

// The sum of 1 / (k + rank), added smallest rank first: the same ranks in other lists give
// the same double, bit for bit, so equal scores compare equal.
double FusedScore(std::vector<int> ranks, int k) {
  std::sort(ranks.begin(), ranks.end());
  double score = 0;
  for (int r : ranks) {
    if (r > 0) score += 1.0 / (k + r);
  }
  return score;
}

}  // namespace

std::vector<FusedItem> FuseRanks(const std::vector<std::vector<std::string>>& lists, int k) {
  std::vector<FusedItem> items;
  std::unordered_map<std::string, size_t> index;
  for (size_t list = 0; list < lists.size(); ++list) {
    for (size_t pos = 0; pos < lists[list].size(); ++pos) {
      const std::string& id = lists[list][pos];
      auto [it, inserted] = index.try_emplace(id, items.size());
      if (inserted) items.push_back({id, 0, std::vector<int>(lists.size(), 0)});
      items[it->second].ranks[list] = static_cast<int>(pos) + 1;
    }
  }
  for (FusedItem& item : items) item.score = FusedScore(item.ranks, k);
  std::sort(items.begin(), items.end(), [](const FusedItem& a, const FusedItem& b) {
    if (a.score != b.score) return a.score > b.score;
    const int ra = BestRank(a), rb = BestRank(b);
    if (ra != rb) return ra < rb;
    for (size_t list = 0; list < a.ranks.size(); ++list) {
      const int la = Comparable(a.ranks[list]), lb = Comparable(b.ranks[list]);
      if (la != lb) return la < lb;
    }
    return false;  // unreachable: distinct items differ in some list
  });
  return items;
}

}  // namespace ingestd::search
