#include "text/utf8.h"

#include <gtest/gtest.h>

namespace ingestd::utf8 {
namespace {

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValid(""));
  EXPECT_TRUE(IsValid("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(IsValid("é 中 😀 \u00a0 \U0010FFFF"));
}

TEST(Utf8Test, RejectsOverlongsSurrogatesAndOutOfRange) {
  EXPECT_FALSE(IsValid(B({0xC0, 0xAF})));              // overlong '/'
  EXPECT_FALSE(IsValid(B({0xE0, 0x80, 0xAF})));        // overlong
  EXPECT_FALSE(IsValid(B({0xED, 0xA0, 0x80})));        // U+D800
  EXPECT_FALSE(IsValid(B({0xF4, 0x90, 0x80, 0x80})));  // U+110000
  EXPECT_FALSE(IsValid(B({0xF5, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(IsValid(B({0x80})));
  EXPECT_FALSE(IsValid(B({0xE2, 0x82})));  // truncated
  EXPECT_EQ(ValidPrefixLength("abcdefghij" + B({0xFF})), 10u);
}

TEST(Utf8Test, SanitizeReplacesEachMaximalSubpart) {
  // Unicode §3.9 / WHATWG examples: one U+FFFD per maximal subpart.
  EXPECT_EQ(
      Sanitize(B({0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64})),
      "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
  EXPECT_EQ(Sanitize(B({0xED, 0xA0, 0x80})), "\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(Sanitize(B({0xE2, 0x82})), "\uFFFD");
  EXPECT_EQ(Sanitize("ok é"), "ok é");
  EXPECT_TRUE(IsValid(Sanitize(B({0xFF, 0xFE, 0xC3}))));
}

TEST(Utf8Test, FloorBoundaryBacksOffToCharacterStart) {
  const std::string s = "a😀b";  // 1 + 4 + 1 bytes
  EXPECT_EQ(FloorBoundary(s, 0), 0u);
  EXPECT_EQ(FloorBoundary(s, 1), 1u);
  EXPECT_EQ(FloorBoundary(s, 3), 1u);
  EXPECT_EQ(FloorBoundary(s, 5), 5u);
  EXPECT_EQ(FloorBoundary(s, 99), s.size());
  EXPECT_TRUE(IsBoundary(s, 6));
  EXPECT_FALSE(IsBoundary(s, 2));
}

}  // namespace
}  // namespace ingestd::utf8
