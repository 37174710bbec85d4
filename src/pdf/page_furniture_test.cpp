#include "pdf/page_furniture.h"

#include <gtest/gtest.h>

namespace ingestd::pdf {
namespace {

TextLine Line(std::string text, float y, float size = 10) {
  TextLine l;
  l.text = std::move(text);
  l.bbox = {72, y, 500, y + size};
  l.size = size;
  return l;
}

// A page with a head at the top, body lines in the middle and a foot at the bottom.
PageLayout Page(int n, std::string head, std::string foot, std::string body = "Body text") {
  PageLayout p;
  p.number = n;
  p.width = 612;
  p.height = 792;
  TextBlock b;
  if (!head.empty()) b.lines.push_back(Line(std::move(head), 40));
  b.lines.push_back(Line(body + " one", 100));
  b.lines.push_back(Line(body + " two", 114));
  if (!foot.empty()) b.lines.push_back(Line(std::move(foot), 750));
  p.blocks.push_back(std::move(b));
  return p;
}

std::vector<std::string> Kept(const PageLayout& p) {
  std::vector<std::string> out;
  for (const TextBlock& b : p.blocks) {
    for (const TextLine& l : b.lines) {
      if (!l.removed) out.push_back(l.text);
    }
  }
  return out;
}

TEST(FurnitureKeyTest, IgnoresNumbersPunctuationAndOrder) {
  EXPECT_EQ(FurnitureKey("agrep 9"), FurnitureKey("10 agrep"));
  EXPECT_EQ(FurnitureKey("Chapter 2: Simple manipulations"), "chaptersimplemanipulations");
}

TEST(RemovePageFurnitureTest, RemovesRunningHeadsAndPageNumbers) {
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 6; ++i) {
    pages.push_back(Page(i, "Chapter 2: Vectors " + std::to_string(i), std::to_string(i),
                         "Unique " + std::to_string(i)));
  }
  RemovePageFurniture(&pages);
  for (const PageLayout& p : pages) {
    std::string n = std::to_string(p.number);
    EXPECT_EQ(Kept(p), (std::vector<std::string>{"Unique " + n + " one", "Unique " + n + " two"}));
  }
}

TEST(RemovePageFurnitureTest, RemovesRomanAndPageOfFooters) {
  std::vector<PageLayout> pages = {Page(1, "", "xiv"), Page(2, "", "Page 3 of 9"),
                                   Page(3, "", "- 4 -")};
  RemovePageFurniture(&pages);
  for (const PageLayout& p : pages) EXPECT_EQ(Kept(p).size(), 2u) << p.number;
}

TEST(RemovePageFurnitureTest, KeepsLinesThatDoNotRepeatNearby) {
  // The same first line on pages 1 and 9 is too far apart to be a running head.
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 9; ++i) {
    pages.push_back(Page(i, i == 1 || i == 9 ? "Introduction" : "Line " + std::string(i, 'x'), ""));
  }
  RemovePageFurniture(&pages);
  EXPECT_EQ(Kept(pages[0]).front(), "Introduction");
  EXPECT_EQ(Kept(pages[8]).front(), "Introduction");
}

TEST(RemovePageFurnitureTest, KeepsWordsThatMerelyLookRoman) {
  std::vector<PageLayout> pages = {Page(1, "", "civil"), Page(2, "", "mix")};
  RemovePageFurniture(&pages);
  EXPECT_EQ(Kept(pages[0]).back(), "civil");
  EXPECT_EQ(Kept(pages[1]).back(), "mix");
}

TEST(RemovePageFurnitureTest, RemovesAOneOffHeadInTheRunningHeadSlot) {
  // Topic heads: "abs" appears once, but exactly where the repeated heads sit.
  std::vector<PageLayout> pages = {Page(1, "abbreviate 1", ""), Page(2, "2 abbreviate", ""),
                                   Page(3, "abs 3", ""), Page(4, "4 agrep", ""),
                                   Page(5, "agrep 5", "")};
  RemovePageFurniture(&pages);
  EXPECT_EQ(Kept(pages[2]).front(), "Body text one");
}

}  // namespace
}  // namespace ingestd::pdf
