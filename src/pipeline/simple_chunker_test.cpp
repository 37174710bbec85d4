#include "pipeline/simple_chunker.h"

#include <gtest/gtest.h>

#include "core/ids.h"

namespace ingestd {
namespace {

constexpr char kDoc[] = "6f1c1a52-0a5e-4c55-9a43-3c0d2f7b9e10";

// Every chunk is exactly its markdown span, in order, within the cap.
void ExpectWellFormed(const std::vector<Chunk>& chunks, std::string_view md, size_t cap) {
  int64_t prev_end = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    EXPECT_EQ(c.ord, static_cast<int>(i));
    EXPECT_EQ(c.document_id, kDoc);
    EXPECT_EQ(c.text, md.substr(c.char_start, c.char_end - c.char_start));
    EXPECT_GE(c.char_start, prev_end);
    EXPECT_LE(c.text.size(), cap);
    EXPECT_FALSE(c.text.empty());
    EXPECT_EQ(c.token_count, static_cast<int>((c.text.size() + 3) / 4));
    EXPECT_EQ(c.id, UuidV5(kDoc, "markdown-simple@1:" + std::to_string(i)));
    prev_end = c.char_end;
  }
}

TEST(SimpleChunker, EmptyAndWhitespaceGiveNoChunks) {
  SimpleChunker chunker;
  EXPECT_TRUE(chunker.Split(kDoc, "").empty());
  EXPECT_TRUE(chunker.Split(kDoc, " \n\n\t\r\n  ").empty());
  EXPECT_EQ(chunker.name(), "markdown-simple@1");
}

TEST(SimpleChunker, HeadingsStartChunksAndTrackPaths) {
  std::string md =
      "Preface text.\n\n# Page 1\n\n## Intro\n\nHello there.\n\nSecond para.\n\n"
      "### Deep\n\nDeeper.\n\n## Setup ##\n\nSet up.\n\n# Page 2\n\nPage two.\n";
  auto chunks = SimpleChunker().Split(kDoc, md);
  ASSERT_EQ(chunks.size(), 5u);
  ExpectWellFormed(chunks, md, 2000);
  EXPECT_EQ(chunks[0].text, "Preface text.");
  EXPECT_EQ(chunks[0].heading_path, "");
  // Consecutive headings with no text between them share one chunk.
  EXPECT_EQ(chunks[1].text, "# Page 1\n\n## Intro\n\nHello there.\n\nSecond para.");
  EXPECT_EQ(chunks[1].heading_path, "Page 1 > Intro");
  EXPECT_EQ(chunks[2].heading_path, "Page 1 > Intro > Deep");
  EXPECT_EQ(chunks[3].heading_path, "Page 1 > Setup");
  EXPECT_EQ(chunks[3].text, "## Setup ##\n\nSet up.");
  EXPECT_EQ(chunks[4].heading_path, "Page 2");
}

TEST(SimpleChunker, NotHeadingsAndCodeFences) {
  std::string md =
      "#hashtag is text\n\n####### seven is text\n\n```sh\n# comment in code\n\nstill code\n```";
  auto chunks = SimpleChunker().Split(kDoc, md);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].heading_path, "");
  EXPECT_EQ(chunks[0].text, md);
}

TEST(SimpleChunker, PacksParagraphsUnderTheCapWithoutSplittingThem) {
  std::string para(30, 'x');  // 30 bytes; two fit in 64 with the blank line, three do not
  std::string md = "# H\n\n" + para + "\n\n" + para + "\n\n" + para + "\n\n" + para;
  auto chunks = SimpleChunker(64).Split(kDoc, md);
  ExpectWellFormed(chunks, md, 64);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].text, "# H\n\n" + para);
  EXPECT_EQ(chunks[1].text, para + "\n\n" + para);
  EXPECT_EQ(chunks[2].text, para);
  for (const auto& c : chunks) EXPECT_EQ(c.heading_path, "H");
}

TEST(SimpleChunker, SplitsOversizedParagraphAtWhitespace) {
  std::string para;
  for (int i = 0; i < 100; ++i) para += "word" + std::to_string(i) + " ";
  std::string md = "# Big\n\n" + para + "\n\nTail.";
  auto chunks = SimpleChunker(100).Split(kDoc, md);
  ExpectWellFormed(chunks, md, 100);
  ASSERT_GT(chunks.size(), 5u);
  // The heading shares its chunk with the first piece; no piece breaks a word.
  EXPECT_EQ(chunks[0].text.rfind("# Big\n\nword0 ", 0), 0u);
  for (const auto& c : chunks) {
    EXPECT_NE(c.text.back(), ' ');
    size_t after = static_cast<size_t>(c.char_end);
    EXPECT_TRUE(after == md.size() || md[after] == ' ' || md[after] == '\n') << c.text;
  }
  EXPECT_EQ(chunks.back().text.substr(chunks.back().text.size() - 5), "Tail.");
}

TEST(SimpleChunker, HardCutsWordsLongerThanTheCapAtUtf8Boundaries) {
  std::string word;
  for (int i = 0; i < 40; ++i) word += "\xC3\xA9";  // "é" x40 = 80 bytes, no whitespace
  auto chunks = SimpleChunker(25).Split(kDoc, word);
  ExpectWellFormed(chunks, word, 25);
  std::string joined;
  for (const auto& c : chunks) {
    EXPECT_EQ(c.text.size() % 2, 0u) << "split inside a UTF-8 sequence";
    joined += c.text;
  }
  EXPECT_EQ(joined, word);
}

TEST(SimpleChunker, HandlesCrlf) {
  std::string md = "# A\r\n\r\ntext a\r\n\r\n# B\r\ntext b\r\n";
  auto chunks = SimpleChunker().Split(kDoc, md);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, "# A\r\n\r\ntext a");
  EXPECT_EQ(chunks[1].text, "# B\r\ntext b");
  EXPECT_EQ(chunks[1].heading_path, "B");
}

TEST(SimpleChunker, TracksPagesFromHeadingsAndMarkers) {
  std::string md = "Cover.\n\n# Page 1\n\nOne.\n\n# Page 2\n\nTwo.\n\n<!-- page: 3 -->\n\nThree.\n";
  auto chunks = SimpleChunker().Split(kDoc, md);
  ASSERT_EQ(chunks.size(), 3u);
  ExpectWellFormed(chunks, md, 2000);
  EXPECT_EQ(chunks[0].page_start, 0);
  EXPECT_EQ(chunks[0].page_end, 0);
  EXPECT_EQ(chunks[1].page_start, 1);
  EXPECT_EQ(chunks[1].page_end, 1);
  // A page marker does not start a chunk: page 2's text runs on into page 3.
  EXPECT_EQ(chunks[2].text, "# Page 2\n\nTwo.\n\n<!-- page: 3 -->\n\nThree.");
  EXPECT_EQ(chunks[2].page_start, 2);
  EXPECT_EQ(chunks[2].page_end, 3);
}

TEST(SimpleChunker, ListItemsPackLikeParagraphs) {
  std::string md = "# L\n\n- one\n- two\n- three\n\nAfter.";
  auto chunks = SimpleChunker().Split(kDoc, md);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, md);
}

TEST(SimpleChunker, DeterministicAndDocumentScopedIds) {
  std::string md = "# P\n\nsome text\n\n# Q\n\nmore text\n";
  SimpleChunker chunker;
  auto a = chunker.Split(kDoc, md);
  auto b = chunker.Split(kDoc, md);
  auto other = chunker.Split("0b8f8a0e-2a47-4a55-8f0e-1f0e6c7d8a9b", md);
  ASSERT_EQ(a.size(), 2u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].text, b[i].text);
    EXPECT_NE(a[i].id, other[i].id);
  }
  EXPECT_NE(a[0].id, a[1].id);
}

}  // namespace
}  // namespace ingestd
