#include "pdf/markdown_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pdf/reading_order.h"

namespace ingestd::pdf {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Builds pages line by line: each Add* call appends a block below the previous one.
class PageBuilder {
 public:
  explicit PageBuilder(int number) {
    page_.number = number;
    page_.width = 612;
    page_.height = 792;
  }
  PageBuilder& Text(std::vector<std::string> lines, float size = 10, bool bold = false,
                    bool mono = false, float x = 72) {
    TextBlock b;
    for (std::string& t : lines) {
      TextLine l;
      l.text = std::move(t);
      l.size = size;
      l.bold = bold;
      l.mono = mono;
      l.char_width = size / 2;
      l.bbox = {x, y_, x + 400, y_ + size};
      y_ += size * 1.2f;
      b.lines.push_back(std::move(l));
    }
    b.bbox = {x, b.lines.front().bbox.y0, x + 400, y_};
    y_ += size;
    gap_ = size;
    page_.blocks.push_back(std::move(b));
    return *this;
  }
  // Removes the gap after the last block: the next one starts one line below it.
  PageBuilder& NoGap() {
    y_ -= gap_;
    return *this;
  }
  PageLayout Build() { return page_; }

 private:
  PageLayout page_;
  float y_ = 120;
  float gap_ = 0;
};

const std::vector<std::string> kBody = {"Body text that runs on for a while and wraps",
                                        "onto a second line that ends here."};

TEST(WriteMarkdownTest, PageMarkersOpenEveryPage) {
  std::string md = WriteMarkdown({PageBuilder(1).Text(kBody).Build(), PageBuilder(2).Build(),
                                  PageBuilder(3).Text(kBody).Build()});
  EXPECT_EQ(md.find("<!-- page: 1 -->\n"), 0u);
  EXPECT_THAT(md, HasSubstr("\n<!-- page: 2 -->\n\n<!-- page: 3 -->\n"));
}

TEST(WriteMarkdownTest, HeadingLevelsFollowRelativeSize) {
  PageBuilder p(1);
  p.Text({"Chapter Title"}, 20, true).Text(kBody).Text({"A Section"}, 14, true).Text(kBody);
  p.Text({"Bold Run-In Heading"}, 10, true).Text(kBody);
  p.Text({"Bold sentence that ends with a period."}, 10, true);
  std::string md = WriteMarkdown({p.Build()});
  EXPECT_THAT(md, HasSubstr("\n# Chapter Title\n"));
  EXPECT_THAT(md, HasSubstr("\n## A Section\n"));
  EXPECT_THAT(md, HasSubstr("\n### Bold Run-In Heading\n"));
  EXPECT_THAT(md, HasSubstr("\nBold sentence that ends with a period.\n"));
}

TEST(WriteMarkdownTest, TableOfContentsEntriesAreNotHeadings) {
  PageBuilder p(1);
  p.Text({"1 Introduction . . . . . . . 2"}, 14, true).Text(kBody);
  EXPECT_THAT(WriteMarkdown({p.Build()}), Not(HasSubstr("# 1 Introduction")));
}

TEST(WriteMarkdownTest, ContentsEntriesWithPageNumbersAreNotHeadings) {
  PageLayout page = PageBuilder(1).Text(kBody).Build();
  TextBlock entry;
  TextLine title, number;
  title.text = "10 The stats package";
  title.bbox = {100, 300, 197, 313};
  number.text = "1403";
  number.bbox = {492, 300, 512, 313};
  for (TextLine* l : {&title, &number}) {
    l->size = 10;
    l->bold = true;
    l->char_width = 5;
  }
  entry.lines = {title, number};
  page.blocks.push_back(entry);
  std::string md = WriteMarkdown({page});
  EXPECT_THAT(md, HasSubstr("\n10 The stats package 1403\n"));
  EXPECT_THAT(md, Not(HasSubstr("# 10 The stats")));
}

TEST(WriteMarkdownTest, ParagraphsAreRejoinedAndDehyphenated) {
  PageBuilder p(1);
  p.Text({"The assignment opera-", "tor points to the object."});
  EXPECT_THAT(WriteMarkdown({p.Build()}),
              HasSubstr("\nThe assignment operator points to the object.\n"));
}

TEST(WriteMarkdownTest, ParagraphsContinueAcrossBlocksOnlyAtOrdinaryLinePitch) {
  PageBuilder p(1);
  p.Text({"A paragraph that MuPDF split"}).NoGap().Text({"into two blocks."});
  p.Text({"A separate paragraph."});
  std::string md = WriteMarkdown({p.Build()});
  EXPECT_THAT(md, HasSubstr("\nA paragraph that MuPDF split into two blocks.\n\nA separate"));
  PageBuilder contents(1);
  contents.Text({"1.1 First . . . . 2"}).NoGap().Text({"1.2 Second . . . . 3"});
  EXPECT_THAT(WriteMarkdown({contents.Build()}), HasSubstr("2\n\n1.2 Second"));
}

TEST(WriteMarkdownTest, ListItemsBecomeMarkdownItems) {
  PageBuilder p(1);
  p.Text({"\xE2\x80\xA2 first item that", "continues here", "\xE2\x80\xA2 second item",
          "2. numbered"});
  std::string md = WriteMarkdown({p.Build()});
  EXPECT_THAT(md,
              HasSubstr("\n- first item that continues here\n\n- second item\n\n2. numbered\n"));
}

TEST(WriteMarkdownTest, MonospacedBlocksBecomeOneFencedBlockWithIndentation) {
  PageBuilder p(1);
  p.Text(kBody).Text({"f <- function(x) {"}, 10, false, true, 90);
  p.Text({"x + 1"}, 10, false, true, 100).Text({"}"}, 10, false, true, 90).Text(kBody);
  std::string md = WriteMarkdown({p.Build()});
  EXPECT_THAT(md, HasSubstr("```\nf <- function(x) {\n\n  x + 1\n\n}\n```\n"));
}

TEST(WriteMarkdownTest, BodyTextCannotForgeAPageMarker) {
  PageBuilder p(1);
  p.Text({"<!-- page: 7 -->"});
  std::string md = WriteMarkdown({p.Build()});
  EXPECT_THAT(md, Not(HasSubstr("<!-- page: 7")));
}

TEST(OrderBlocksTest, ReadsTwoColumnsColumnByColumnAfterAFullWidthTitle) {
  auto block = [](std::string text, float x0, float y0, float x1, float y1) {
    TextBlock b;
    b.bbox = {x0, y0, x1, y1};
    TextLine l;
    l.text = std::move(text);
    l.bbox = b.bbox;
    b.lines.push_back(l);
    return b;
  };
  std::vector<TextBlock> blocks = {
      block("right-1", 320, 100, 540, 300), block("left-2", 72, 310, 290, 500),
      block("title", 72, 40, 540, 70),      block("left-1", 72, 100, 290, 300),
      block("right-2", 320, 310, 540, 500),
  };
  OrderBlocks(&blocks);
  std::vector<std::string> order;
  for (const TextBlock& b : blocks) order.push_back(b.lines[0].text);
  EXPECT_EQ(order, (std::vector<std::string>{"title", "left-1", "left-2", "right-1", "right-2"}));
}

TextLine At(std::string text, float x0, float y0, float x1) {
  TextLine l;
  l.text = std::move(text);
  l.bbox = {x0, y0, x1, y0 + 11};
  l.size = 10;
  return l;
}

TEST(SplitColumnsTest, SplitsABlockBuiltAcrossAGutter) {
  TextBlock b;
  b.lines = {At("left one", 72, 100, 290), At("right one", 320, 100, 540),
             At("left two", 72, 113, 288), At("right two", 320, 113, 536)};
  std::vector<TextBlock> blocks = {b};
  SplitColumns(&blocks, 612);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].lines[1].text, "left two");
  EXPECT_EQ(blocks[1].lines[0].text, "right one");
  EXPECT_FLOAT_EQ(blocks[1].bbox.x0, 320);
}

TEST(SplitColumnsTest, KeepsDefinitionListsWhole) {
  TextBlock b;
  b.lines = {At("pattern", 118, 100, 153), At("a non-empty character string to be", 195, 100, 512),
             At("matched.", 195, 113, 239)};
  std::vector<TextBlock> blocks = {b};
  SplitColumns(&blocks, 612);
  EXPECT_EQ(blocks.size(), 1u);
}

TEST(MergeBaselinesTest, JoinsFragmentsOfOneBaseline) {
  TextBlock b;
  TextLine number, title, next;
  number.text = "1.1";
  number.bbox = {90, 100, 104, 111};
  title.text = "The R environment";
  title.bbox = {114, 100, 300, 111};
  next.text = "Next line";
  next.bbox = {90, 113, 200, 124};
  b.lines = {number, title, next};
  MergeBaselines(&b);
  ASSERT_EQ(b.lines.size(), 2u);
  EXPECT_EQ(b.lines[0].text, "1.1 The R environment");
  EXPECT_FLOAT_EQ(b.lines[0].bbox.x1, 300);
}

}  // namespace
}  // namespace ingestd::pdf
