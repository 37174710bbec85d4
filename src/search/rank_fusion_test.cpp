// Reciprocal-rank fusion: its arithmetic, and an order that depends on the ranks alone.
#include "search/rank_fusion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace ingestd::search {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> FusedIds(const std::vector<std::vector<std::string>>& lists) {
  std::vector<std::string> ids;
  for (const FusedItem& f : FuseRanks(lists)) ids.push_back(f.id);
  return ids;
}

TEST(RankFusionTest, SumsReciprocalRanksWithKSixty) {
  const auto fused = FuseRanks({{"a", "b", "c"}, {"c", "d"}});
  ASSERT_EQ(fused.size(), 4u);
  // c: 1/63 + 1/61 beats a: 1/61; then b: 1/62 and d: 1/62 tie, and the first list decides.
  EXPECT_EQ(fused[0].id, "c");
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0 / 63 + 1.0 / 61);
  EXPECT_THAT(fused[0].ranks, ElementsAre(3, 1));
  EXPECT_EQ(fused[1].id, "a");
  EXPECT_DOUBLE_EQ(fused[1].score, 1.0 / 61);
  EXPECT_THAT(fused[1].ranks, ElementsAre(1, 0));
  EXPECT_EQ(fused[2].id, "b");
  EXPECT_EQ(fused[3].id, "d");
  EXPECT_THAT(fused[3].ranks, ElementsAre(0, 2));
}

TEST(RankFusionTest, EmptyListsFuseToNothingAndOneListKeepsItsOrder) {
  EXPECT_THAT(FuseRanks({{}, {}}), IsEmpty());
  EXPECT_THAT(FusedIds({{"z", "y", "x"}, {}}), ElementsAre("z", "y", "x"));
  EXPECT_THAT(FuseRanks({{"a"}}, 0)[0].score, 1.0);
}

// The ids of a search's chunks are random per upload: two uploads of one corpus rank alike
// but name the chunks differently. Ties must not be broken by those names.
TEST(RankFusionTest, TiesNeverDependOnTheIds) {
  // Rank 1 in one list alone scores 1/61 in either list; so do ranks 2, 3, ...
  const std::vector<std::string> order = FusedIds({{"v1", "v2", "v3"}, {"k1", "k2", "k3"}});
  EXPECT_THAT(order, ElementsAre("v1", "k1", "v2", "k2", "v3", "k3"));
  // The same rankings under other names fuse to the same positions.
  EXPECT_THAT(FusedIds({{"z9", "m", "a"}, {"b", "zz", "0"}}),
              ElementsAre("z9", "b", "m", "zz", "a", "0"));
}

TEST(RankFusionTest, EqualScoresGoByBestRankThenListByList) {
  // p: ranks 3 and 7; q: ranks 7 and 3. Same score, same best rank: the first list decides.
  const std::vector<std::vector<std::string>> lists = {{"x1", "x2", "p", "x4", "x5", "x6", "q"},
                                                       {"y1", "y2", "q", "y4", "y5", "y6", "p"}};
  const auto fused = FuseRanks(lists);
  const auto at = [&](const std::string& id) {
    return std::find_if(fused.begin(), fused.end(), [&](const FusedItem& f) { return f.id == id; });
  };
  ASSERT_EQ(at("p")->score, at("q")->score);  // bit for bit, whichever list holds which rank
  EXPECT_LT(at("p"), at("q"));
  // Three lists: u is in two of them; t and w each hold rank 1 of one list.
  const auto three = FuseRanks({{"t", "u"}, {"w"}, {"u"}});
  EXPECT_EQ(three[0].id, "u");  // 1/62 + 1/61 beats 1/61
  EXPECT_EQ(three[1].id, "t");  // 1/61, first list
  EXPECT_EQ(three[2].id, "w");  // 1/61, second list
}

TEST(RankFusionTest, ReversedInputGivesTheMirroredTieBreak) {
  // Swapping the lists hands the casting vote to the other ranker, and nothing else.
  EXPECT_THAT(FusedIds({{"k1", "k2"}, {"v1", "v2"}}), ElementsAre("k1", "v1", "k2", "v2"));
}

}  // namespace
}  // namespace ingestd::search
