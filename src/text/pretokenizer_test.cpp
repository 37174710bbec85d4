#include "text/pretokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ingestd {
namespace {

std::vector<std::string> Pieces(std::string_view text) {
  std::vector<std::string> out;
  Pretokenizer::Get().ForEachPiece(text, [&](std::string_view p) { out.emplace_back(p); });
  return out;
}

TEST(PretokenizerTest, SplitsLikeCl100k) {
  EXPECT_THAT(Pieces("Hello world's END'LL  x\n\n  y 1234 (ok)!!\r\n"),
              ::testing::ElementsAre("Hello", " world", "'s", " END", "'LL", " ", " x", "\n\n", " ",
                                     " y", " ", "123", "4", " (", "ok", ")!!\r\n"));
  EXPECT_THAT(Pieces("  \t"), ::testing::ElementsAre("  \t"));
  EXPECT_THAT(Pieces("x\u00a0y\u3000z"), ::testing::ElementsAre("x", "\u00a0y", "\u3000z"));
}

// The hand-written ASCII matcher must agree with PCRE2 everywhere, including where ASCII meets
// non-ASCII letters, digits and spaces (where it has to defer to PCRE2).
TEST(PretokenizerTest, AsciiFastPathAgreesWithPcre2) {
  const std::vector<std::string> atoms = {
      "a",  "Z",      "s",      "S",      "l", "L",      "e",      "r",      "v",      "t",
      "m",  "d",      "'",      "0",      "7", " ",      " ",      "\t",     "\n",     "\r",
      "\v", "\f",     "!",      "(",      "-", "\x01",   "\x1f",   "\x7f",   "é",      "ß",
      "中", "\u00a0", "\u3000", "\u0663", "😀", "\u0301", "\u2028", "\u0085", "\u180e", "\ufeff"};
  uint64_t x = 7;
  auto next = [&] { return (x = x * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  const Pretokenizer& pre = Pretokenizer::Get();
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    size_t len = 1 + next() % 12;
    for (size_t i = 0; i < len; ++i) text += atoms[next() % atoms.size()];
    for (size_t pos = 0; pos < text.size();) {
      size_t fast = pre.NextPieceEnd(text, pos);
      size_t slow = pre.NextPieceEndRegex(text, pos);
      ASSERT_EQ(fast, slow) << "text=[" << text << "] pos=" << pos;
      pos = slow;
    }
  }
}

}  // namespace
}  // namespace ingestd
