#include "text/markdown_token_chunker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/ids.h"
#include "text/utf8.h"

namespace ingestd {
namespace {

constexpr char kDoc[] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

std::unique_ptr<MarkdownTokenChunker> Make(size_t max_tokens, size_t overlap) {
  auto c = MarkdownTokenChunker::Create({max_tokens, overlap});
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

// Every property the header promises, on any input and options.
void ExpectValidChunks(const std::vector<Chunk>& chunks, std::string_view md, size_t max_tokens,
                       size_t overlap) {
  std::string rebuilt;
  int64_t prev_end = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    SCOPED_TRACE("chunk " + std::to_string(i));
    EXPECT_EQ(c.ord, static_cast<int>(i));
    EXPECT_EQ(c.id, UuidV5(kDoc, "markdown-tokens@1:" + std::to_string(i)));
    EXPECT_EQ(c.document_id, kDoc);
    ASSERT_LE(c.char_start, prev_end);
    ASSERT_GT(c.char_end, prev_end);
    EXPECT_EQ(c.text, md.substr(c.char_start, c.char_end - c.char_start));
    EXPECT_EQ(static_cast<size_t>(c.token_count), Tokenizer::Cl100kBase().Count(c.text));
    EXPECT_LE(static_cast<size_t>(c.token_count), max_tokens);
    // The overlap is the previous chunk's tail, at most `overlap` tokens of it.
    if (c.char_start < prev_end) {
      EXPECT_LE(Tokenizer::Cl100kBase().Count(md.substr(c.char_start, prev_end - c.char_start)),
                overlap + 1);
    }
    rebuilt += c.text.substr(prev_end - c.char_start);
    prev_end = c.char_end;
  }
  EXPECT_EQ(rebuilt, md);  // nothing lost, nothing reordered
}

TEST(MarkdownTokenChunkerTest, EmptyAndWhitespaceOnlyGiveNoChunks) {
  MarkdownTokenChunker c;
  EXPECT_TRUE(c.Split(kDoc, "").empty());
  EXPECT_TRUE(c.Split(kDoc, " \n\t\r\n  \n").empty());
  EXPECT_EQ(c.name(), "markdown-tokens@1");
}

TEST(MarkdownTokenChunkerTest, HeadingsStartChunksAndNameTheirPath) {
  const std::string md =
      "Preamble text.\n\n# Intro\n\nHello there.\n\n## Setup\n\nInstall it.\n\n"
      "## Usage\n\nRun it.\n\n# Reference\n### Deep\nDetails.\n";
  std::vector<Chunk> chunks = MarkdownTokenChunker().Split(kDoc, md);
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[0].heading_path, "");
  EXPECT_EQ(chunks[1].heading_path, "Intro");
  EXPECT_THAT(chunks[1].text, ::testing::StartsWith("# Intro"));
  EXPECT_EQ(chunks[2].heading_path, "Intro > Setup");
  EXPECT_EQ(chunks[3].heading_path, "Intro > Usage");
  // Headings with no body between them share the chunk; the path is the innermost.
  EXPECT_EQ(chunks[4].heading_path, "Reference > Deep");
  EXPECT_THAT(chunks[4].text, ::testing::StartsWith("# Reference\n### Deep"));
  ExpectValidChunks(chunks, md, 512, 64);
}

TEST(MarkdownTokenChunkerTest, BlocksThatFitAreNeverSplit) {
  std::string code = "```cpp\n";
  for (int i = 0; i < 20; ++i) code += "int value_" + std::to_string(i) + " = compute();\n\n";
  code += "```\n";
  const std::string table = "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n";
  std::string md = "# Code\n\n";
  for (int i = 0; i < 6; ++i) md += "Some paragraph number " + std::to_string(i) + ".\n\n" + code;
  md += "\n" + table + "\n- item one\n  continues here\n- item two\n";
  const size_t code_tokens = Tokenizer::Cl100kBase().Count(code);
  auto chunker = Make(code_tokens + 40, 16);
  std::vector<Chunk> chunks = chunker->Split(kDoc, md);
  ExpectValidChunks(chunks, md, code_tokens + 40, 16);
  int whole_fences = 0;
  for (const Chunk& c : chunks) {
    // A fence that starts in a chunk also ends in it.
    size_t open = c.text.find("```cpp");
    if (open == std::string::npos) continue;
    EXPECT_NE(c.text.find("```\n", open + 6), std::string::npos) << c.text;
    ++whole_fences;
  }
  EXPECT_EQ(whole_fences, 6);
}

TEST(MarkdownTokenChunkerTest, OversizedBlockSplitsAtSentencesThenTokensWithOverlap) {
  std::string para;
  for (int i = 0; i < 60; ++i) para += "Sentence number " + std::to_string(i) + " says hello. ";
  std::string word(3000, 'x');  // one unbreakable "sentence"
  const std::string md = "# Big\n\n" + para + "\n\n" + word + "\n";
  auto chunker = Make(64, 16);
  std::vector<Chunk> chunks = chunker->Split(kDoc, md);
  ASSERT_GT(chunks.size(), 5u);
  ExpectValidChunks(chunks, md, 64, 16);
  bool overlapped = false;
  for (size_t i = 1; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].heading_path, "Big");
    overlapped = overlapped || chunks[i].char_start < chunks[i - 1].char_end;
  }
  EXPECT_TRUE(overlapped);
  // Sentence cuts come first: before the long word, every chunk ends after a full stop.
  const size_t word_at = md.find(word);
  for (size_t i = 0; i + 1 < chunks.size() && static_cast<size_t>(chunks[i].char_end) < word_at;
       ++i) {
    size_t last = md.find_last_not_of(" \n", chunks[i].char_end - 1);
    EXPECT_EQ(md[last], '.') << chunks[i].text;
  }
}

// Regression: cutting a long run without sentence ends re-encoded the rest after every cut.
TEST(MarkdownTokenChunkerTest, HugeWordSplitsInOnePass) {
  std::string word;
  while (word.size() < 300'000) word += "pneumonoultramicroscopic";
  const std::string md = "# W\n\n" + word + "\n";
  std::vector<Chunk> chunks = Make(16, 4)->Split(kDoc, md);
  ASSERT_GT(chunks.size(), 1000u);
  ExpectValidChunks(chunks, md, 16, 4);
  EXPECT_LT(chunks[2].char_start, chunks[1].char_end);  // pieces leave room for overlap
}

TEST(MarkdownTokenChunkerTest, NoOverlapAcrossHeadings) {
  std::string md;
  for (int s = 0; s < 4; ++s) {
    md += "## Section " + std::to_string(s) + "\n\n";
    for (int i = 0; i < 30; ++i) md += "Line " + std::to_string(i) + " of text here.\n";
    md += "\n";
  }
  std::vector<Chunk> chunks = Make(48, 12)->Split(kDoc, md);
  ExpectValidChunks(chunks, md, 48, 12);
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (chunks[i].text.starts_with("## ")) {
      EXPECT_EQ(chunks[i].char_start, chunks[i - 1].char_end);
    }
  }
}

TEST(MarkdownTokenChunkerTest, PageMarkersGivePageRanges) {
  const std::string md =
      "<!-- page: 1 -->\nFirst page text.\n\n<!-- page: 2 -->\nSecond page.\n\n"
      "# Page 3\n\nThird page, mock parser style.\n";
  std::vector<Chunk> chunks = MarkdownTokenChunker().Split(kDoc, md);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].page_start, 1);
  EXPECT_EQ(chunks[0].page_end, 2);  // markers do not cut chunks
  EXPECT_EQ(chunks[1].page_start, 3);
  EXPECT_EQ(chunks[1].page_end, 3);
  EXPECT_EQ(chunks[1].heading_path, "Page 3");
  EXPECT_EQ(MarkdownTokenChunker().Split(kDoc, "no markers")[0].page_start, 0);
}

TEST(MarkdownTokenChunkerTest, SameInputGivesSameChunksAndIds) {
  std::string md = "# A\n\ntext text text.\n\n## B\n\nmore.\n";
  for (int i = 0; i < 50; ++i) md += "Paragraph " + std::to_string(i) + " is here.\n\n";
  auto chunker = Make(40, 10);
  std::vector<Chunk> a = chunker->Split(kDoc, md);
  std::vector<Chunk> b = chunker->Split(kDoc, md);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].text, b[i].text);
    EXPECT_EQ(a[i].char_start, b[i].char_start);
  }
  EXPECT_NE(chunker->Split("1b4e28ba-2fa1-11d2-883f-0016d3cca427", md)[0].id, a[0].id);
}

TEST(MarkdownTokenChunkerTest, InvalidUtf8IsRepairedNotFatal) {
  const std::string md("# T\n\nbad \xff\xfe bytes\n", 18);
  std::vector<Chunk> chunks = MarkdownTokenChunker().Split(kDoc, md);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "# T\n\nbad \uFFFD\uFFFD bytes\n");
}

TEST(MarkdownTokenChunkerTest, RejectsOutOfRangeOptions) {
  EXPECT_EQ(MarkdownTokenChunker::Create({4, 0}).status().code(), "INVALID_CHUNKER_OPTIONS");
  EXPECT_EQ(MarkdownTokenChunker::Create({100, 51}).status().code(), "INVALID_CHUNKER_OPTIONS");
  EXPECT_TRUE(MarkdownTokenChunker::Create({100, 50}).ok());
}

// The markdown documentation Debian packages ship: real documents nobody here wrote.
TEST(MarkdownTokenChunkerTest, LimitsAndLosslessnessHoldOnRealDocuments) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator("/usr/share/doc")) {
    if (e.is_regular_file() && e.path().extension() == ".md") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.size() > 60) files.resize(60);  // bounded time under sanitizers
  ASSERT_FALSE(files.empty()) << "no markdown under /usr/share/doc";
  auto small = Make(64, 16);
  MarkdownTokenChunker standard;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    std::ifstream in(f, std::ios::binary);
    std::string md((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!utf8::IsValid(md)) continue;
    ExpectValidChunks(standard.Split(kDoc, md), md, 512, 64);
    ExpectValidChunks(small->Split(kDoc, md), md, 64, 16);
  }
}

// The embedding cache pays only for chunks whose text changed (issue 16 §1), so a local
// edit must not move the boundaries after its section: sections are packed from their own
// heading, with no overlap across one.
TEST(MarkdownTokenChunkerTest, AnEditInSectionThreeMovesNoBoundaryInSectionsFourToNine) {
  const auto manual = [](const std::string& edit) {
    std::string md;
    for (int s = 1; s <= 9; ++s) {
      md += "## Section " + std::to_string(s) + "\n\n";
      for (int p = 1; p <= 6; ++p) {
        md += "Paragraph " + std::to_string(p) + " of section " + std::to_string(s) +
              (s == 3 && p == 4 ? edit : " says what it says, in a few plain words.") + "\n\n";
      }
    }
    return md;
  };
  const std::string before = manual(" is short.");
  const std::string after = manual(
      " grew: an edit added a long sentence here, and another one, "
      "so that the packing of this section changes from here on.");
  const int64_t shift = static_cast<int64_t>(after.size() - before.size());
  for (const auto& [max_tokens, overlap] :
       {std::pair<size_t, size_t>{32, 8}, {64, 16}, {512, 64}}) {
    SCOPED_TRACE("max_tokens " + std::to_string(max_tokens));
    auto chunker = Make(max_tokens, overlap);
    const auto a = chunker->Split(kDoc, before);
    const auto b = chunker->Split(kDoc, after);
    const auto from_section = [](const std::vector<Chunk>& chunks, const std::string& heading) {
      return std::find_if(chunks.begin(), chunks.end(),
                          [&](const Chunk& c) { return c.heading_path == heading; });
    };
    auto ia = from_section(a, "Section 4");
    auto ib = from_section(b, "Section 4");
    ASSERT_NE(ia, a.end());
    ASSERT_NE(ib, b.end());
    ASSERT_EQ(a.end() - ia, b.end() - ib) << "sections 4-9 have another number of chunks";
    for (; ia != a.end(); ++ia, ++ib) {
      EXPECT_EQ(ib->text, ia->text);
      EXPECT_EQ(ib->char_start, ia->char_start + shift);
      EXPECT_EQ(ib->char_end, ia->char_end + shift);
    }
    // Sections 1-2 are untouched too; section 3 changed.
    auto ea = from_section(a, "Section 3"), eb = from_section(b, "Section 3");
    ASSERT_EQ(ea - a.begin(), eb - b.begin());
    EXPECT_TRUE(std::equal(a.begin(), ea, b.begin(), [](const Chunk& x, const Chunk& y) {
      return x.text == y.text && x.char_start == y.char_start;
    }));
  }
}

}  // namespace
}  // namespace ingestd
