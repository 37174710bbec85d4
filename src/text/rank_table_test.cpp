#include "text/rank_table.h"

#include <gtest/gtest.h>

#include "text/bpe.h"
#include "text/cl100k_data.h"

namespace ingestd {
namespace {

TEST(RankTableTest, ParsesTiktokenFormat) {
  Result<RankTable> t = RankTable::Parse("YQ== 0\nYg== 1\nYWI= 2\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->size(), 3);
  EXPECT_EQ(t->Find("ab"), 2);
  EXPECT_EQ(t->Find("ba"), RankTable::kNotFound);
  EXPECT_EQ(t->Bytes(1), "b");
  EXPECT_EQ(t->Bytes(3), "");
}

TEST(RankTableTest, RejectsMalformedData) {
  for (const char* bad :
       {"YQ==\n", "YQ== x\n", "Y!== 0\n", "YQ== 0\nYQ== 1\n", "YQ== 0\nYg== 0\n", "YQ== 1\n"}) {
    Result<RankTable> t = RankTable::Parse(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), "RANK_DATA_INVALID");
  }
}

TEST(RankTableTest, EmbeddedCl100kHasEveryRankAndByte) {
  Result<RankTable> t = RankTable::Parse(Cl100kTiktokenFile());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 100256);
  for (int b = 0; b < 256; ++b) EXPECT_NE(t->Find(std::string(1, static_cast<char>(b))), -1);
  for (int r = 0; r < t->size(); r += 997) EXPECT_EQ(t->Find(t->Bytes(r)), r);
  EXPECT_EQ(t->Find(" hello"), 24748);
}

TEST(BytePairEncodeTest, ArrayAndHeapAlgorithmsAgree) {
  Result<RankTable> t = RankTable::Parse(Cl100kTiktokenFile());
  ASSERT_TRUE(t.ok());
  uint64_t x = 42;
  auto next = [&] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
  const std::string alphabet = "aaabeilnorst ,.'";
  for (int round = 0; round < 300; ++round) {
    std::string piece;
    size_t len = 1 + next() % 120;
    for (size_t i = 0; i < len; ++i) piece += alphabet[(next() >> 33) % alphabet.size()];
    std::vector<int> small, large;
    BytePairEncode(piece, *t, &small);
    BytePairEncodeLarge(piece, *t, &large);
    ASSERT_EQ(small, large) << piece;
  }
}

}  // namespace
}  // namespace ingestd
