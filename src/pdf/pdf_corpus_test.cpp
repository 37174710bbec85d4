// The local parser on real documents nobody here wrote (Debian's r-doc-pdf), against poppler's
// pdfinfo and pdftotext as independent references.
#include <gtest/gtest.h>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "pdf/helper_runner.h"
#include "pdf/test_pdfs.h"

namespace ingestd::pdf {
namespace {

const std::filesystem::path kRManuals = testing::kRManualDir;

std::string Capture(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// Lower-cased alphanumeric words with counts. Page markers are dropped; a word broken by a
// hyphen at a line end is rejoined in the reference, as the parser does.
std::map<std::string, long> Words(const std::string& text) {
  std::map<std::string, long> words;
  std::string w;
  auto flush = [&] {
    if (!w.empty()) ++words[w];
    w.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (text.compare(i, 11, "<!-- page: ") == 0) {
      flush();
      i = text.find("-->", i);
      if (i == std::string::npos) break;
      i += 2;
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '\n' && !w.empty()) {
      size_t j = i + 1;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j < text.size() && std::islower(static_cast<unsigned char>(text[j]))) {
        i = j - 1;  // "manipu-\nlation": keep collecting the same word
      } else {
        flush();
      }
    } else if (std::isalnum(c) || c >= 0x80) {
      w.push_back(static_cast<char>(std::tolower(c)));
    } else {
      flush();
    }
  }
  flush();
  return words;
}

// The "Pages:" figure of pdfinfo, or -1.
int PdfinfoPages(const std::filesystem::path& path) {
  std::string info = Capture("pdfinfo '" + path.string() + "' 2>/dev/null");
  size_t at = info.find("Pages:");
  return at == std::string::npos ? -1 : std::atoi(info.c_str() + at + 6);
}

// Share of the reference's words (with multiplicity) that the markdown also has.
double Recall(const std::map<std::string, long>& ours, const std::map<std::string, long>& ref) {
  long total = 0, found = 0;
  for (const auto& [w, n] : ref) {
    total += n;
    auto it = ours.find(w);
    if (it != ours.end()) found += std::min(n, it->second);
  }
  return total ? static_cast<double>(found) / total : 0;
}

TEST(PdfCorpusTest, PageCountsEqualPdfinfo) {
  auto manuals = testing::RManuals();
  if (manuals.empty()) GTEST_SKIP() << "r-doc-pdf is not installed";
  for (const auto& path : manuals) {
    int expected = PdfinfoPages(path);
    ASSERT_GT(expected, 0) << "pdfinfo failed on " << path;
    Result<int> pages = CountPages(path.string());
    ASSERT_TRUE(pages.ok()) << path << ": " << pages.status().ToString();
    EXPECT_EQ(*pages, expected) << path;
  }
}

TEST(PdfCorpusTest, WordsMatchPdftotext) {
  auto manuals = testing::RManuals();
  if (manuals.empty()) GTEST_SKIP() << "r-doc-pdf is not installed";
  for (const auto& path : manuals) {
    Result<HelperResult> r = RunHelper(HelperMode::kMarkdown, path.string(), ParseLimits());
    ASSERT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    std::string ref = Capture("pdftotext -enc UTF-8 '" + path.string() + "' - 2>/dev/null");
    ASSERT_FALSE(ref.empty()) << path;
    auto ours = Words(r->markdown), theirs = Words(ref);
    double recall = Recall(ours, theirs), precision = Recall(theirs, ours);
    EXPECT_GE(recall, 0.98) << path;
    EXPECT_GE(precision, 0.98) << path;
    std::printf("%-12s pages %5d  recall %.4f  precision %.4f\n", path.filename().c_str(),
                r->page_count, recall, precision);
  }
}

bool HasHeading(const std::string& markdown, const std::string& title) {
  std::istringstream in(markdown);
  bool in_code = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("```")) in_code = !in_code;
    if (!in_code && line.starts_with("#") && line.find(title) != std::string::npos) return true;
  }
  return false;
}

TEST(PdfCorpusTest, ChapterTitlesBecomeHeadings) {
  const std::map<std::string, std::vector<std::string>> kChapters = {
      {"R-intro.pdf",
       {"Introduction and preliminaries", "Simple manipulations; numbers and vectors",
        "Objects, their modes and attributes", "Arrays and matrices", "Lists and data frames",
        "Writing your own functions", "Statistical models in R", "Graphical procedures"}},
      {"R-admin.pdf",
       {"Obtaining R", "Installing R under Unix-alikes", "Running R", "Add-on packages",
        "Internationalization and Localization", "The standalone Rmath library"}},
      {"R-data.pdf", {"Introduction", "Spreadsheet-like data", "Importing from other"}},
  };
  for (const auto& [file, titles] : kChapters) {
    std::filesystem::path path = kRManuals / file;
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "r-doc-pdf is not installed";
    Result<HelperResult> r = RunHelper(HelperMode::kMarkdown, path.string(), ParseLimits());
    ASSERT_TRUE(r.ok()) << file << ": " << r.status().ToString();
    for (const std::string& title : titles) {
      EXPECT_TRUE(HasHeading(r->markdown, title)) << file << ": " << title;
    }
  }
}

}  // namespace
}  // namespace ingestd::pdf
