#include "text/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "core/crypto.h"
#include "text/cl100k_data.h"

namespace ingestd {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

const Tokenizer& T() { return Tokenizer::Cl100kBase(); }

TEST(Cl100kDataTest, EmbeddedRankFileHasTheExpectedSha256) {
  EXPECT_EQ(Sha256Hex(Cl100kTiktokenFile()), kCl100kSha256);
}

// Expected ids below come from npm gpt-tokenizer 4.0.0 (cl100k_base).
TEST(TokenizerTest, EncodesKnownStrings) {
  EXPECT_THAT(T().Encode("hello world"), ElementsAre(15339, 1917));
  EXPECT_THAT(T().Encode("I'LL go, we'Re there's"),
              ElementsAre(40, 6, 4178, 733, 11, 584, 50527, 1070, 596));
  EXPECT_THAT(T().Encode("  leading\r\n\r\n  x\t\ty   "),
              ElementsAre(220, 6522, 881, 220, 865, 197, 14862, 262));
  EXPECT_THAT(T().Encode("12345678 \u0661\u0662\u0663"),
              ElementsAre(4513, 10961, 2495, 220, 149, 94, 149, 95, 149, 96));
  EXPECT_THAT(
      T().Encode("中文字符测试 😀👨‍👩‍👧‍👦 é"),
      ElementsAreArray({16325, 17161, 49491, 82805, 91416, 9468, 239, 101, 378,  235, 9468, 239,
                        102,   378,   235,   9468,  239,   100,  378, 235, 9468, 239, 99,   4046}));
  EXPECT_THAT(T().Encode("a\u00a0\u00a0b\u3000c"), ElementsAre(64, 4194, 4194, 65, 23249, 66));
  EXPECT_THAT(T().Encode("\n\n\n"), ElementsAre(1432));
  EXPECT_TRUE(T().Encode("").empty());
}

TEST(TokenizerTest, SpecialTokensAreTextUnlessAllowed) {
  EXPECT_THAT(T().Encode("x<|endoftext|>y"), ElementsAre(87, 27, 91, 8862, 728, 428, 91, 29, 88));
  EXPECT_THAT(T().Encode("x<|endoftext|>y<|fim_middle|>", SpecialTokens::kAllow),
              ElementsAre(87, 100257, 88, 100259));
  EXPECT_EQ(T().Count("<|endoftext|>", SpecialTokens::kAllow), 1u);
  EXPECT_EQ(*T().Decode(std::vector<int>{100257}), "<|endoftext|>");
}

TEST(TokenizerTest, InvalidUtf8IsReadAsReplacementCharacters) {
  // What TextDecoder + gpt-tokenizer give for the same bytes.
  const std::string bad(
      "a\xff\xe2\x82"
      "b\xed\xa0\x80",
      8);
  EXPECT_THAT(T().Encode(bad), ElementsAre(64, 10178, 65, 58432));
  EXPECT_EQ(T().Count(bad), 4u);
  EXPECT_EQ(*T().Decode(T().Encode(bad)),
            "a\uFFFD\uFFFD"
            "b\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(T().Truncate(bad, 100),
            "a\uFFFD\uFFFD"
            "b\uFFFD\uFFFD\uFFFD");
}

TEST(TokenizerTest, CountMatchesEncode) {
  const std::string text =
      "The Devil's Dictionary, 1911: ABSURDITY, n. A statement or belief "
      "manifestly inconsistent with one's own opinion.\n\n\tsupercalifragilistic";
  EXPECT_EQ(T().Count(text), T().Encode(text).size());
}

TEST(TokenizerTest, DecodeRoundTripsAndRejectsUnknownIds) {
  const std::string text = "Grüße, 世界! ¿Qué tal? 'S 'LL x\r\n\u00a0 12345";
  EXPECT_EQ(*T().Decode(T().Encode(text)), text);
  for (int bad : {-1, 100256, 100261, 100277, 1 << 30}) {
    Result<std::string> r = T().Decode(std::vector<int>{15339, bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "INVALID_TOKEN_ID");
  }
}

TEST(TokenizerTest, TruncateCutsOnTokenAndCharacterBoundaries) {
  const std::string text = "hello world, this is a test";
  EXPECT_EQ(T().Truncate(text, 2), "hello world");
  EXPECT_EQ(T().Truncate(text, 0), "");
  EXPECT_EQ(T().Truncate(text, 1000), text);
  // "😀" is 3 tokens (bytes split mid-character): a cut inside it backs off to before it.
  const std::string emoji = "ab 😀😀";
  std::vector<int> ids = T().Encode(emoji);
  for (size_t n = 0; n <= ids.size(); ++n) {
    std::string cut = T().Truncate(emoji, n);
    EXPECT_TRUE(emoji.starts_with(cut));
    EXPECT_LE(T().Count(cut), n);
    EXPECT_EQ(*T().Decode(T().Encode(cut)), cut);
  }
  EXPECT_EQ(T().Truncate(emoji, ids.size() - 1), "ab 😀");
}

TEST(TokenizerTest, TokenBytesConcatenateToTheInput) {
  const std::string text = "Offsets: every token's bytes, in order, rebuild the text.";
  std::string rebuilt;
  for (int id : T().Encode(text)) rebuilt += T().TokenBytes(id);
  EXPECT_EQ(rebuilt, text);
  EXPECT_EQ(T().TokenBytes(-5), "");
}

TEST(TokenizerTest, HugeSingleWordIsEncodedExactly) {
  // One 200 KB \p{L}+ piece: goes through the heap merge, must still round-trip and count.
  std::string word;
  while (word.size() < 200'000) word += "antidisestablishmentarianism";
  std::vector<int> ids = T().Encode(word);
  EXPECT_EQ(*T().Decode(ids), word);
  EXPECT_EQ(T().Count(word), ids.size());
}

TEST(TokenizerTest, ConcurrentUseGivesIdenticalResults) {
  const std::string text = "Concurrent callers share one tokenizer. Ünïcödé 12345 \n\n";
  const std::vector<int> expected = T().Encode(text);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      bool same = true;
      for (int i = 0; i < 200; ++i) same = same && T().Encode(text) == expected;
      ok[t] = same;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_THAT(ok, ElementsAre(1, 1, 1, 1));
}

}  // namespace
}  // namespace ingestd
