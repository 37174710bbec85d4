#include "pdf/local_pdf_parser.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <thread>

#include "pdf/pdf_errors.h"
#include "pdf/test_pdfs.h"

namespace ingestd::pdf {
namespace {

class LocalPdfParserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pdf_parser_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ParseInput Input(const std::string& name, const std::string& data) {
    std::string path = (dir_ / name).string();
    EXPECT_TRUE(testing::WriteFile(path, data));
    return {
        .pdf_path = path, .size_bytes = static_cast<int64_t>(data.size()), .document_id = "doc-1"};
  }

  std::filesystem::path dir_;
  CallContext ctx_{"corr-1", "job-1", "user-1"};
};

TEST_F(LocalPdfParserTest, ParsesToMarkdownWithPageCountAndNoCost) {
  LocalPdfParser parser;
  EXPECT_EQ(parser.name(), "local");
  Result<ParseOutput> out = parser.Parse(
      Input("two.pdf", testing::TextPdf({{"First page text"}, {"Second page text"}})), ctx_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->page_count, 2);
  EXPECT_EQ(out->implementation, "local");
  EXPECT_EQ(out->cost_usd, 0);
  EXPECT_EQ(out->markdown,
            "<!-- page: 1 -->\n\nFirst page text\n\n<!-- page: 2 -->\n\nSecond page text\n\n");
}

TEST_F(LocalPdfParserTest, TwoColumnPageReadsColumnByColumn) {
  std::vector<testing::PlacedText> page = {{72, 740, 18, "A Two Column Title"}};
  const char* left[] = {"Left column first line of text that is long enough",
                        "continues in the left column with more words",
                        "until the end of the left column here."};
  const char* right[] = {"Right column begins with this sentence that",
                         "goes on in the right column for some words,",
                         "finishing the text of the second column."};
  for (int i = 0; i < 3; ++i) {
    page.push_back({72, 700.0 - 13 * i, 10, left[i]});
    page.push_back({320, 700.0 - 13 * i, 10, right[i]});
  }
  Result<ParseOutput> out =
      LocalPdfParser().Parse(Input("columns.pdf", testing::PlacedTextPdf({page})), ctx_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->markdown,
            "<!-- page: 1 -->\n\n# A Two Column Title\n\n"
            "Left column first line of text that is long enough continues in the left column "
            "with more words until the end of the left column here.\n\n"
            "Right column begins with this sentence that goes on in the right column for some "
            "words, finishing the text of the second column.\n\n");
}

TEST_F(LocalPdfParserTest, RunningHeadsAndPageNumbersAreDropped) {
  std::vector<std::vector<testing::PlacedText>> pages;
  for (int i = 1; i <= 4; ++i) {
    pages.push_back({{72, 760, 9, "Chapter 1: Getting Started"},
                     {72, 600, 11, "Body of page " + std::to_string(i) + "."},
                     {300, 40, 9, std::to_string(i)}});
  }
  Result<ParseOutput> out =
      LocalPdfParser().Parse(Input("heads.pdf", testing::PlacedTextPdf(pages)), ctx_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->markdown.find("Getting Started"), std::string::npos) << out->markdown;
  EXPECT_NE(out->markdown.find("<!-- page: 3 -->\n\nBody of page 3.\n\n<!-- page: 4"),
            std::string::npos)
      << out->markdown;
}

TEST_F(LocalPdfParserTest, CorruptPdfIsAPermanentUnprocessableError) {
  LocalPdfParser parser;
  Result<ParseOutput> out = parser.Parse(Input("bad.pdf", "%PDF-1.7\nnothing here"), ctx_);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), kPdfCorrupt);
  EXPECT_EQ(out.status().kind(), Kind::kUnprocessable);
  EXPECT_FALSE(out.status().retryable());
}

TEST_F(LocalPdfParserTest, PageCapIsEnforced) {
  LocalPdfParserOptions options;
  options.limits.max_pages = 2;
  LocalPdfParser parser(options);
  Result<ParseOutput> out =
      parser.Parse(Input("three.pdf", testing::TextPdf({{"a"}, {"b"}, {"c"}})), ctx_);
  EXPECT_EQ(out.status().code(), kPdfTooManyPages);
}

TEST_F(LocalPdfParserTest, ConcurrentParsesAreIndependent) {
  LocalPdfParser parser;
  std::vector<ParseInput> inputs;
  for (int i = 0; i < 4; ++i) {
    inputs.push_back(Input("doc" + std::to_string(i) + ".pdf",
                           testing::TextPdf({{"Document number " + std::to_string(i)}})));
  }
  std::vector<std::thread> threads;
  std::vector<std::string> results(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    threads.emplace_back([&, i] {
      Result<ParseOutput> out = parser.Parse(inputs[i], ctx_);
      results[i] = out.ok() ? out->markdown : out.status().ToString();
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_NE(results[i].find("Document number " + std::to_string(i)), std::string::npos)
        << results[i];
  }
}

}  // namespace
}  // namespace ingestd::pdf
