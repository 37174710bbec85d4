// The runner against stand-in helpers that misbehave on purpose, and against the real helper
// on small generated PDFs. Every failure must come back as a typed permanent Status.
#include "pdf/helper_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>

#include "pdf/pdf_errors.h"
#include "pdf/test_pdfs.h"

namespace ingestd::pdf {
namespace {

class HelperRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pdf_runner_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    pdf_ = (dir_ / "doc.pdf").string();
    ASSERT_TRUE(testing::WriteFile(pdf_, testing::TextPdf({{"Hello world"}, {"Second page"}})));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A stand-in helper: a shell script with `body`.
  HelperOptions FakeHelper(const std::string& body) {
    std::string path = (dir_ / "fake-helper").string();
    testing::WriteFile(path, "#!/bin/sh\n" + body + "\n");
    chmod(path.c_str(), 0755);
    HelperOptions options;
    options.helper_path = path;
    return options;
  }

  Status RunFake(const std::string& body, HelperLimits limits = {}) {
    Result<HelperResult> r = RunHelper(HelperMode::kMarkdown, pdf_, limits, FakeHelper(body));
    EXPECT_FALSE(r.ok());
    if (r.ok()) return Status();
    EXPECT_FALSE(r.status().retryable()) << r.status().ToString();
    return r.status();
  }

  std::filesystem::path dir_;
  std::string pdf_;
};

TEST_F(HelperRunnerTest, RealHelperParsesAGeneratedPdf) {
  Result<HelperResult> r = RunHelper(HelperMode::kMarkdown, pdf_, ParseLimits());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->page_count, 2);
  EXPECT_EQ(r->markdown, "<!-- page: 1 -->\n\nHello world\n\n<!-- page: 2 -->\n\nSecond page\n\n");
  Result<int> pages = CountPages(pdf_);
  ASSERT_TRUE(pages.ok()) << pages.status().ToString();
  EXPECT_EQ(*pages, 2);
}

TEST_F(HelperRunnerTest, HangingHelperIsKilledAtTheWallClockLimit) {
  HelperLimits limits;
  limits.wall_millis = 300;
  Status s = RunFake("exec sleep 30", limits);
  EXPECT_EQ(s.code(), kPdfTimeout);
  EXPECT_EQ(s.kind(), Kind::kUnprocessable);
}

TEST_F(HelperRunnerTest, HelperThatClosesItsPipesAndHangsIsStillKilled) {
  HelperLimits limits;
  limits.wall_millis = 300;
  EXPECT_EQ(RunFake("exec >&- 2>&-; sleep 30", limits).code(), kPdfTimeout);
}

TEST_F(HelperRunnerTest, CpuLimitIsATimeout) {
  EXPECT_EQ(RunFake("ulimit -t 1; while :; do :; done").code(), kPdfTimeout);
}

TEST_F(HelperRunnerTest, CrashIsHelperCrashed) {
  EXPECT_EQ(RunFake("kill -SEGV $$").code(), kPdfHelperCrashed);
}

TEST_F(HelperRunnerTest, GarbageAndTruncatedRepliesAreHelperCrashed) {
  EXPECT_EQ(RunFake("echo hello").code(), kPdfHelperCrashed);
  EXPECT_EQ(RunFake("printf 'pages 1\\n2'").code(), kPdfHelperCrashed);
  EXPECT_EQ(RunFake("printf 'end 0\\n'").code(), kPdfHelperCrashed);  // no result
  EXPECT_EQ(RunFake("printf 'error 10\\nNOT_OURS xend 0\\n'").code(), kPdfHelperCrashed);
}

TEST_F(HelperRunnerTest, ReportedErrorKeepsItsCodeAndMessage) {
  Status s = RunFake("printf 'error 20\\nPDF_ENCRYPTED lockedend 0\\n'");
  EXPECT_EQ(s.code(), kPdfEncrypted);
  EXPECT_EQ(s.message(), "locked");
}

// The sandbox is never silently missing: a helper that could not enter it refuses (a
// permanent internal error, not the PDF's fault), and a reply that does not say which
// isolation was in force is not trusted.
TEST_F(HelperRunnerTest, AHelperOutsideItsSandboxIsNeverTakenAtItsWord) {
  Status failed = RunFake("printf 'error 34\\nPDF_SANDBOX_FAILED seccomp: EINVALend 0\\n'");
  EXPECT_EQ(failed.code(), kPdfSandboxFailed);
  EXPECT_EQ(failed.kind(), Kind::kInternal);
  EXPECT_EQ(RunFake("printf 'pages 1\\n1markdown 1\\nxend 0\\n'").code(), kPdfHelperCrashed);
}

TEST_F(HelperRunnerTest, FloodOfOutputIsCutOff) {
  HelperLimits limits;
  limits.max_output_bytes = 1 << 20;
  EXPECT_EQ(RunFake("exec yes", limits).code(), kPdfOutputTooLarge);
}

TEST_F(HelperRunnerTest, MissingInputAndMissingHelperAreNotPdfErrors) {
  Result<HelperResult> r = RunHelper(HelperMode::kPages, (dir_ / "nope.pdf").string(), {});
  EXPECT_EQ(r.status().code(), kPdfUnreadable);
  HelperOptions missing;
  missing.helper_path = (dir_ / "no-helper").string();
  r = RunHelper(HelperMode::kPages, pdf_, {}, missing);
  EXPECT_EQ(r.status().code(), "PDF_HELPER_MISSING");
  EXPECT_EQ(r.status().kind(), Kind::kInternal);
}

TEST_F(HelperRunnerTest, FileNamesThatLookLikeOptionsAreStillFiles) {
  std::string odd = (dir_ / "--pages").string();
  std::filesystem::copy_file(pdf_, odd);
  std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  Result<int> pages = CountPages("--pages");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(pages.ok()) << pages.status().ToString();
  EXPECT_EQ(*pages, 2);
}

}  // namespace
}  // namespace ingestd::pdf
