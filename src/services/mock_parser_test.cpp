#include "services/mock_parser.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "services/pdf_pages.h"

namespace ingestd {
namespace {

std::string SyntheticPdf(int pages, std::string_view salt = "") {
  std::string pdf =
      "%PDF-1.4\n1 0 obj << /Type /Pages /Count " + std::to_string(pages) + " >> endobj\n";
  for (int i = 0; i < pages; ++i) {
    pdf += std::to_string(i + 2) + " 0 obj << /Type /Page /Parent 1 0 R >> endobj\n";
  }
  pdf += std::string(salt) + "\n%%EOF\n";
  return pdf;
}

// Counts "# Page N" lines and checks they are numbered 1, 2, … in order.
int CountPageHeadings(const std::string& md) {
  int n = 0;
  for (size_t pos = 0; pos < md.size(); pos = md.find('\n', pos) + 1) {
    if (md.compare(pos, 7, "# Page ") != 0) continue;
    size_t eol = md.find('\n', pos);
    EXPECT_EQ(md.substr(pos + 7, eol - pos - 7), std::to_string(++n));
    if (eol == std::string::npos) break;
  }
  return n;
}

ParseInput At(const std::string& path) {
  ParseInput in;
  in.pdf_path = path;
  return in;
}

TEST(CountPdfPages, CountsPageObjectsNotPagesTrees) {
  EXPECT_EQ(CountPdfPages(SyntheticPdf(3)), 3);
  EXPECT_EQ(CountPdfPages("%PDF-1.4 /Type/Page /Type /Pages"), 1);
  EXPECT_EQ(CountPdfPages("%PDF-1.4 nothing here"), 1);  // minimum 1
}

TEST(CountPdfPages, FindsPagesInsideCompressedObjectStreams) {
  std::string objects = "<< /Type /Page >> << /Type /Page >> << /Type /Pages >>";
  std::string packed(compressBound(objects.size()), '\0');
  uLongf len = packed.size();
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(packed.data()), &len,
                     reinterpret_cast<const Bytef*>(objects.data()), objects.size()),
            Z_OK);
  packed.resize(len);
  std::string pdf = "%PDF-1.5\n5 0 obj << /Type /ObjStm /N 3 /Filter /FlateDecode >>\nstream\r\n" +
                    packed + "\nendstream\nendobj\n";
  EXPECT_EQ(CountPdfPages(pdf), 2);
}

TEST(CountPdfPages, RealManualHasRealisticCount) {
  const char* path = "/usr/share/R/doc/manual/R-FAQ.pdf";  // 52 pages (pdfinfo)
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "r-doc-pdf not installed";
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(CountPdfPages(bytes), 52);
}

TEST(MockParser, SameBytesGiveSameMarkdown) {
  auto a = MockParser::ParseBytes(SyntheticPdf(4));
  auto b = MockParser::ParseBytes(SyntheticPdf(4));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->markdown, b->markdown);
  EXPECT_EQ(a->page_count, 4);
  EXPECT_EQ(CountPageHeadings(a->markdown), 4);
  EXPECT_EQ(a->implementation, "mock");
}

TEST(MockParser, DifferentBytesGiveDifferentText) {
  auto a = MockParser::ParseBytes(SyntheticPdf(2, "a"));
  auto b = MockParser::ParseBytes(SyntheticPdf(2, "b"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->markdown, b->markdown);
}

TEST(MockParser, PagesHaveDistinctParagraphsOfVariedLength) {
  auto r = MockParser::ParseBytes(SyntheticPdf(40));
  ASSERT_TRUE(r.ok());
  size_t longest = 0, shortest = SIZE_MAX;
  size_t start = 0;
  while (start < r->markdown.size()) {
    size_t end = r->markdown.find("\n\n", start);
    if (end == std::string::npos) end = r->markdown.size();
    if (r->markdown[start] != '#') {
      longest = std::max(longest, end - start);
      shortest = std::min(shortest, end - start);
    }
    start = end + 2;
  }
  EXPECT_GT(longest, 2000u);  // some paragraph exceeds the default chunk cap
  EXPECT_LT(shortest, 300u);
}

TEST(MockParser, RejectsNonPdfPermanently) {
  auto r = MockParser::ParseBytes("hello world");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "PARSE_NOT_A_PDF");
  EXPECT_FALSE(r.status().retryable());
}

class MockParserFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("mock_parser_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& data) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << data;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(MockParserFileTest, ParsesTheFileAtPdfPath) {
  MockParser parser;
  auto r = parser.Parse(At(Write("a.pdf", SyntheticPdf(2))), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->markdown, MockParser::ParseBytes(SyntheticPdf(2))->markdown);
}

TEST_F(MockParserFileTest, MissingAndEmptyFiles) {
  MockParser parser;
  auto missing = parser.Parse(At((dir_ / "nope.pdf").string()), {});
  EXPECT_EQ(missing.status().code(), "PARSE_INPUT_UNREADABLE");
  auto empty = parser.Parse(At(Write("empty.pdf", "")), {});
  EXPECT_EQ(empty.status().code(), "PARSE_NOT_A_PDF");
}

TEST_F(MockParserFileTest, InjectedFaultsComeFirst) {
  MockParser parser({.fail_first_n = 1});
  ParseInput in = At(Write("a.pdf", SyntheticPdf(1)));
  auto first = parser.Parse(in, {});
  EXPECT_EQ(first.status().code(), "UPSTREAM_TRANSIENT");
  EXPECT_TRUE(first.status().retryable());
  EXPECT_TRUE(parser.Parse(in, {}).ok());
}

}  // namespace
}  // namespace ingestd
