// Broken and hostile PDFs, generated here: whatever the file does to the helper, the caller
// gets a result or a typed permanent error, quickly, and keeps running.
#include <unistd.h>

#include <gtest/gtest.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "pdf/helper_runner.h"
#include "pdf/pdf_errors.h"
#include "pdf/test_pdfs.h"

namespace ingestd::pdf {
namespace {

using testing::BuildPdf;
using testing::StreamObject;

const std::set<std::string> kTypedCodes = {kPdfCorrupt,        kPdfEncrypted,   kPdfNoPages,
                                           kPdfTimeout,        kPdfMemoryLimit, kPdfHelperCrashed,
                                           kPdfOutputTooLarge, kPdfTooManyPages};

// Tight limits so that bombs end in seconds.
HelperLimits Tight() {
  return {.cpu_seconds = 3, .memory_mb = 512, .wall_millis = 8'000, .max_output_bytes = 64 << 20};
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

class HostilePdfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pdf_hostile_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Parses `data` in both modes; returns the markdown-mode status (OK or typed error).
  Status Parse(const std::string& name, const std::string& data,
               const HelperLimits& limits = Tight()) {
    std::string path = (dir_ / name).string();
    EXPECT_TRUE(testing::WriteFile(path, data));
    for (HelperMode mode : {HelperMode::kPages, HelperMode::kMarkdown}) {
      Result<HelperResult> r = RunHelper(mode, path, limits);
      if (r.ok()) {
        EXPECT_GT(r->page_count, 0) << name;
      } else {
        EXPECT_TRUE(kTypedCodes.count(r.status().code())) << name << ": " << r.status().ToString();
        EXPECT_EQ(r.status().kind(), Kind::kUnprocessable) << name;
        EXPECT_FALSE(r.status().retryable()) << name;
      }
      if (mode == HelperMode::kMarkdown) {
        std::printf("%-24s %s\n", name.c_str(), r.ok() ? "OK" : r.status().ToString().c_str());
        return r.ok() ? Status() : r.status();
      }
    }
    return Status();
  }

  // A one-page document whose page content stream is `content` (a full stream object body).
  static std::string OnePage(const std::string& content_object, const std::string& extra = "") {
    return BuildPdf(
        {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R " + extra + " >>",
         content_object});
  }

  std::filesystem::path dir_;
};

TEST_F(HostilePdfTest, NotAPdfIsCorrupt) {
  EXPECT_EQ(Parse("random.pdf", std::string(4096, '\x9c')).code(), kPdfCorrupt);
  EXPECT_EQ(Parse("empty.pdf", "").code(), kPdfCorrupt);
}

TEST_F(HostilePdfTest, ZeroPagesIsNoPages) {
  std::string pdf =
      BuildPdf({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"});
  EXPECT_EQ(Parse("zero.pdf", pdf).code(), kPdfNoPages);
}

TEST_F(HostilePdfTest, PasswordProtectedIsEncrypted) {
  // Standard security handler, RC4 40-bit; /U is not the empty password's value.
  std::string u = "<" + std::string(64, 'A') + ">";
  std::string pdf =
      BuildPdf({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>",
                "<< /Filter /Standard /V 1 /R 2 /O " + u + " /U " + u + " /P -4 >>"},
               "/Encrypt 3 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> "
               "<0123456789ABCDEF0123456789ABCDEF>]");
  EXPECT_EQ(Parse("encrypted.pdf", pdf).code(), kPdfEncrypted);
}

TEST_F(HostilePdfTest, TruncatedFilesEndCleanly) {
  std::string intro = ReadFile(std::string(testing::kRManualDir) + "R-intro.pdf");
  if (intro.empty()) GTEST_SKIP() << "r-doc-pdf is not installed";
  for (size_t keep :
       {size_t{9}, size_t{1000}, intro.size() / 10, intro.size() / 2, intro.size() - 100}) {
    Parse("truncated-" + std::to_string(keep) + ".pdf", intro.substr(0, keep));
  }
}

TEST_F(HostilePdfTest, RandomByteFlipsEndCleanly) {
  std::string data = ReadFile(std::string(testing::kRManualDir) + "R-data.pdf");  // 41 pages
  if (data.empty()) GTEST_SKIP() << "r-doc-pdf is not installed";
  for (unsigned seed = 1; seed <= 6; ++seed) {
    std::mt19937 rng(seed);
    std::string flipped = data;
    for (int i = 0; i < 300; ++i) flipped[rng() % flipped.size()] = static_cast<char>(rng());
    Parse("flipped-" + std::to_string(seed) + ".pdf", flipped);
  }
}

TEST_F(HostilePdfTest, HugeDeclaredStreamLengthEndsCleanly) {
  std::string content = "<< /Length 99999999999 >>\nstream\nBT /F1 12 Tf (hi) Tj ET\nendstream";
  Parse("huge-length.pdf", OnePage(content));
}

TEST_F(HostilePdfTest, DeeplyNestedObjectsEndCleanly) {
  std::string nested = std::string(200'000, '[') + std::string(200'000, ']');
  Parse("nested-array.pdf", OnePage(StreamObject("q Q"), "/Nested " + nested));
  std::string dicts;
  for (int i = 0; i < 50'000; ++i) dicts += "<< /A ";
  for (int i = 0; i < 50'000; ++i) dicts += ">> ";
  Parse("nested-dict.pdf", OnePage(StreamObject("q Q"), "/Resources " + dicts));
}

TEST_F(HostilePdfTest, DecompressionBombInContentStreamEndsCleanly) {
  // 1 GiB of text-showing operators inflated from ~1 MB.
  std::string bomb = testing::DeflateRepeated("BT (aaaaaaa) Tj ET\n", (1u << 30) / 19);
  Status s = Parse("bomb.pdf", OnePage(StreamObject(bomb, "/Filter /FlateDecode")));
  EXPECT_TRUE(s.code() == kPdfTimeout || s.code() == kPdfOutputTooLarge ||
              s.code() == kPdfMemoryLimit)
      << s.ToString();
}

TEST_F(HostilePdfTest, GiantXrefTableIsCorrupt) {
  // A cross-reference section that claims 400 million entries.
  std::string pdf =
      "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nxref\n0 400000000\n"
      "0000000000 65535 f \ntrailer << /Size 400000000 /Root 1 0 R >>\n"
      "startxref\n45\n%%EOF\n";
  EXPECT_EQ(Parse("giant-xref.pdf", pdf).code(), kPdfCorrupt);
}

TEST_F(HostilePdfTest, TextBombHitsTheMemoryLimit) {
  // One 32 MB string shown on a page: cheap to read, but gigabytes of layout. Generous time
  // limits, so that only memory can stop it even on a loaded machine.
  std::string bomb = "BT /F1 1 Tf (" + std::string(32 << 20, 'a') + ") Tj ET";
  std::string pdf = BuildPdf(
      {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << "
       "/Font << /F1 5 0 R >> >> >>",
       StreamObject(testing::DeflateRepeated(bomb, 1), "/Filter /FlateDecode"),
       "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});
  HelperLimits limits = {.cpu_seconds = 30, .memory_mb = 256, .wall_millis = 60'000};
  EXPECT_EQ(Parse("text-bomb.pdf", pdf, limits).code(), kPdfMemoryLimit);
}

}  // namespace
}  // namespace ingestd::pdf
