#include "search/rank_fusion.h"

#include <algorithm>
#include <unordered_map>

namespace ingestd::search {
namespace {

int BestRank(const FusedItem& item) {
  int best = 0;
  for (int r : item.ranks) {
    if (r > 0 && (best == 0 || r < best)) best = r;
  }
  return best;
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
      FusedItem& item = items[it->second];
      const int rank = static_cast<int>(pos) + 1;
      item.ranks[list] = rank;
      item.score += 1.0 / (k + rank);
    }
  }
  std::sort(items.begin(), items.end(), [](const FusedItem& a, const FusedItem& b) {
    if (a.score != b.score) return a.score > b.score;
    const int ra = BestRank(a), rb = BestRank(b);
    if (ra != rb) return ra < rb;
    return a.id < b.id;
  });
  return items;
}

}  // namespace ingestd::search
