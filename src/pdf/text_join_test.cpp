#include "pdf/text_join.h"

#include <gtest/gtest.h>

namespace ingestd::pdf {
namespace {

std::string Join(std::initializer_list<std::string_view> lines) {
  std::string p;
  for (std::string_view l : lines) JoinLine(&p, l);
  return p;
}

TEST(JoinLineTest, RejoinsWrappedLinesWithOneSpace) {
  EXPECT_EQ(Join({"The simplest such  ", "  structure is a vector."}),
            "The simplest such structure is a vector.");
}

TEST(JoinLineTest, DehyphenatesBeforeLowerCase) {
  EXPECT_EQ(Join({"simple manipu-", "lation of vectors"}), "simple manipulation of vectors");
  EXPECT_EQ(Join({"soft\xC2\xAD", "Hyphen"}), "softHyphen");
}

TEST(JoinLineTest, KeepsHyphenBeforeCapitalsDigitsAndAfterNonLetters) {
  EXPECT_EQ(Join({"see R-", "Admin"}), "see R- Admin");
  EXPECT_EQ(Join({"range 1-", "10 here"}), "range 1- 10 here");
  EXPECT_EQ(Join({"a -", "b"}), "a - b");
}

TEST(ListMarkerTest, RecognisesBulletsAndEnumerators) {
  bool ordered = false;
  EXPECT_EQ(ListMarkerLength("\xE2\x80\xA2 item", &ordered), 4u);
  EXPECT_FALSE(ordered);
  EXPECT_EQ(ListMarkerLength("- item", &ordered), 2u);
  EXPECT_EQ(ListMarkerLength("12. item", &ordered), 4u);
  EXPECT_TRUE(ordered);
  EXPECT_EQ(ListMarkerLength("(iv) item", &ordered), 5u);
  EXPECT_EQ(ListMarkerLength("b) item", &ordered), 3u);
}

TEST(ListMarkerTest, IgnoresOrdinaryText) {
  bool ordered = false;
  EXPECT_EQ(ListMarkerLength("1.1 The R environment", &ordered), 0u);
  EXPECT_EQ(ListMarkerLength("e.g. this", &ordered), 0u);
  EXPECT_EQ(ListMarkerLength("-x is a flag", &ordered), 0u);
  EXPECT_EQ(ListMarkerLength("1234. too long", &ordered), 0u);
  EXPECT_EQ(ListMarkerLength("-", &ordered), 0u);
}

TEST(EscapeTextTest, TextCannotForgePageMarkersOrHeadings) {
  EXPECT_EQ(EscapeText("<!-- page: 99 -->"), "&lt;!-- page: 99 -->");
  EXPECT_EQ(EscapeText("# not a heading"), "\\# not a heading");
  EXPECT_EQ(EscapeText("> quote"), "\\> quote");
  EXPECT_EQ(EscapeText("plain <b> text"), "plain <b> text");
}

TEST(EscapeHeadingTest, AHeadingCannotPassForAPageMarker) {
  EXPECT_EQ(EscapeHeading("Page 12"),
            "Page\xC2\xA0"
            "12");
  EXPECT_EQ(EscapeHeading("Pages of history"), "Pages of history");
  EXPECT_EQ(EscapeHeading("# x"), "\\# x");
}

TEST(EscapeCodeTest, CodeCannotCloseTheFenceOrForgeAPageMarker) {
  EXPECT_EQ(EscapeCode("```"), "\\```");
  EXPECT_EQ(EscapeCode("<!-- page: 3 -->"), "<\\!-- page: 3 -->");
  EXPECT_EQ(EscapeCode("x <- 1 # <-- fine"), "x <- 1 # <-- fine");
}

}  // namespace
}  // namespace ingestd::pdf
