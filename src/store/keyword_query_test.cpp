#include "store/keyword_query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ingestd::keyword_query {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(KeywordQueryTest, WordsAreRunsOfLettersDigitsAndValidNonAscii) {
  EXPECT_THAT(Terms("Café, crème-brûlée 42!"), ElementsAre("Café", "crème", "brûlée", "42"));
  EXPECT_THAT(Terms("a\"b* NEAR(c) d:e ^f"), ElementsAre("a", "b", "NEAR", "c", "d", "e", "f"));
  EXPECT_THAT(Terms("x x X x"), ElementsAre("x", "X"));
}

TEST(KeywordQueryTest, NulControlsAndInvalidUtf8Separate) {
  EXPECT_THAT(Terms(std::string("ab\0cd", 5)), ElementsAre("ab", "cd"));
  EXPECT_THAT(Terms("ab\x01"
                    "cd"),
              ElementsAre("ab", "cd"));
  EXPECT_THAT(Terms("ab\xff"
                    "cd\xc3"),
              ElementsAre("ab", "cd"));
  EXPECT_THAT(Terms("\xc0\xaf"
                    "a"),
              ElementsAre("a"));  // overlong '/'
  EXPECT_THAT(Terms("\xed\xa0\x80"
                    "b"),
              ElementsAre("b"));  // a surrogate
  EXPECT_THAT(Terms("\xf4\x90\x80\x80"
                    "c"),
              ElementsAre("c"));  // beyond U+10FFFF
  EXPECT_THAT(Terms("\xf0\x9f\x98\x80"), ElementsAre("\xf0\x9f\x98\x80"));
  EXPECT_THAT(Terms("\"'()*:^-+ \t\n"), IsEmpty());
}

TEST(KeywordQueryTest, LongWordsAreDroppedAndTermsCapped) {
  EXPECT_THAT(Terms(std::string(kMaxTermBytes + 1, 'a') + " ok"), ElementsAre("ok"));
  EXPECT_EQ(Terms(std::string(kMaxTermBytes, 'a')).size(), 1u);
  std::string many;
  for (size_t i = 0; i < kMaxTerms + 10; ++i) many += "w" + std::to_string(i) + " ";
  const std::vector<std::string> terms = Terms(many);
  ASSERT_EQ(terms.size(), kMaxTerms);
  EXPECT_EQ(terms.back(), "w" + std::to_string(kMaxTerms - 1));
}

TEST(KeywordQueryTest, Fts5ExpressionQuotesEachTermAndOrsThem) {
  EXPECT_EQ(Fts5Expression({"NEAR", "café"}), "\"NEAR\" OR \"café\"");
  EXPECT_EQ(Fts5Expression({}), "");
}

}  // namespace
}  // namespace ingestd::keyword_query
