#include "text/markdown_blocks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ingestd {
namespace {

struct Seen {
  BlockKind kind;
  std::string text;
  int page;
};

std::vector<Seen> Scan(std::string_view md) {
  std::vector<Seen> out;
  size_t expected_begin = 0;
  for (const MarkdownBlock& b : ScanMarkdownBlocks(md)) {
    EXPECT_EQ(b.begin, expected_begin);  // blocks tile the input
    expected_begin = b.end;
    out.push_back({b.kind, std::string(md.substr(b.begin, b.end - b.begin)), b.page});
  }
  EXPECT_EQ(expected_begin, md.empty() ? 0 : md.size());
  return out;
}

TEST(MarkdownBlocksTest, RecognizesEachKindAndKeepsBlankLinesWithThePreviousBlock) {
  const std::string md =
      "\n\n# Title #\n\nPara line one\nline two\n\n- item a\n  more a\n- item b\n\n"
      "   indented para\n| x | y |\n|---|---|\n\n```sh\nrun\n\n# not a heading\n```\nafter\n";
  std::vector<Seen> b = Scan(md);
  ASSERT_EQ(b.size(), 7u);
  EXPECT_EQ(b[0].kind, BlockKind::kHeading);
  EXPECT_EQ(b[0].text, "\n\n# Title #\n\n");
  EXPECT_EQ(b[1].kind, BlockKind::kParagraph);
  EXPECT_EQ(b[1].text, "Para line one\nline two\n\n");
  EXPECT_EQ(b[2].kind, BlockKind::kListItem);
  EXPECT_EQ(b[2].text, "- item a\n  more a\n");
  EXPECT_EQ(b[3].kind, BlockKind::kListItem);  // an indented paragraph continues the item
  EXPECT_EQ(b[3].text, "- item b\n\n   indented para\n");
  EXPECT_EQ(b[4].kind, BlockKind::kTable);
  EXPECT_EQ(b[4].text, "| x | y |\n|---|---|\n\n");
  EXPECT_EQ(b[5].kind, BlockKind::kCode);
  EXPECT_EQ(b[5].text, "```sh\nrun\n\n# not a heading\n```\n");
  EXPECT_EQ(b[6].kind, BlockKind::kParagraph);
  EXPECT_EQ(b[6].text, "after\n");
}

TEST(MarkdownBlocksTest, HeadingTitlesAndLevels) {
  std::vector<MarkdownBlock> b = ScanMarkdownBlocks("## Setup ##\n####### seven\n#nospace\n");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].level, 2);
  EXPECT_EQ(b[0].title, "Setup");
  EXPECT_EQ(b[1].kind, BlockKind::kParagraph);  // not headings: 7 #s, no space
}

TEST(MarkdownBlocksTest, PageMarkersSetThePage) {
  std::vector<Seen> b = Scan("intro\n<!-- page: 4 -->\ntext\n# Page 7\nmore\n\n<!--page:x-->\n");
  ASSERT_EQ(b.size(), 6u);
  EXPECT_EQ(b[0].page, 0);
  EXPECT_EQ(b[1].kind, BlockKind::kPageMarker);
  EXPECT_EQ(b[1].page, 4);
  EXPECT_EQ(b[2].page, 4);
  EXPECT_EQ(b[3].kind, BlockKind::kHeading);
  EXPECT_EQ(b[3].page, 7);
  EXPECT_EQ(b[4].page, 7);
  EXPECT_EQ(b[5].kind, BlockKind::kParagraph);  // malformed marker is text
}

TEST(MarkdownBlocksTest, UnclosedFenceRunsToTheEnd) {
  std::vector<Seen> b = Scan("text\n~~~~\ncode\n~~~\n# still code");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].kind, BlockKind::kCode);
  EXPECT_EQ(b[1].text, "~~~~\ncode\n~~~\n# still code");
}

}  // namespace
}  // namespace ingestd
