// `ingestd ingest` (issue 14 §4) against a running `ingestd serve`: a folder is walked for its
// PDFs, uploaded N at a time and, with --wait, followed to the end; on a terminal (a pty made by
// util-linux `script`) one progress line is redrawn, off one each event is a log line; a
// re-run uploads nothing new (the server's duplicate detection); a refused file makes the exit
// code 1 and is named in the summary with the server's error code.
#include <gtest/gtest.h>
#include <filesystem>

#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

CommandResult RunIngestCli(const std::string& command) { return RunCommand(command + " 2>&1"); }

size_t CountOf(const std::string& haystack, const std::string& needle) {
  size_t count = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

class IngestCliTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    folder_ = server_->root_dir() + "/to-ingest";
    std::filesystem::create_directories(folder_ + "/nested/deeper");
  }

  std::string Ingest(const std::string& args) const {
    return "'" + ServerProcess::BinaryPath() + "' ingest " + args + " --server '" +
           server_->base_url() + "' --token '" + token_ + "'";
  }

  std::string folder_;
};

TEST_F(IngestCliTest, AFolderIsIngestedWithProgressOnATerminalAndARerunSendsNothingNew) {
  WriteFile(folder_ + "/R-FAQ.pdf", ReadFile(kRFaqPdf));
  WriteFile(folder_ + "/nested/deeper/R-data.PDF", ReadFile(kRDataPdf));
  WriteFile(folder_ + "/nested/notes.txt", "not a PDF, and not named like one: skipped");

  // `script -e` runs the command on a pseudo-terminal and exits with its exit code.
  const CommandResult tty = RunIngestCli("script -qefc \"" + Ingest("'" + folder_ + "'") +
                                         " --wait --concurrency 2 --priority 7\" /dev/null");
  ASSERT_EQ(tty.exit_code, 0) << tty.output;
  EXPECT_NE(tty.output.find("\r\033[Kfiles "), std::string::npos) << tty.output;  // redrawn
  EXPECT_EQ(tty.output.find("uploaded, job"), std::string::npos) << tty.output;   // no log lines
  EXPECT_NE(tty.output.find("files 2/2: 2 uploaded, 0 duplicates, 0 refused | jobs 2 complete, "
                            "0 failed of 2"),
            std::string::npos)
      << tty.output;
  EXPECT_EQ(CountOf(tty.output, "  uploaded   done "), 2u) << tty.output;
  EXPECT_EQ(tty.output.find("notes.txt"), std::string::npos) << tty.output;

  HttpResponse jobs = client_->Get("/api/v1/jobs", token_);
  ASSERT_EQ(jobs.status, 200);
  const nlohmann::json listed = jobs.Json();
  ASSERT_EQ(listed["jobs"].size(), 2u) << jobs.body;
  for (const auto& job : listed["jobs"]) {
    EXPECT_EQ(job["state"], "done");
    EXPECT_EQ(job["processing_priority"], 7);
  }

  // Off a terminal: a log line per event, no redrawing; everything is a duplicate now.
  const CommandResult again = RunIngestCli(Ingest("'" + folder_ + "'") + " --wait");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output.find("\033[K"), std::string::npos) << again.output;
  EXPECT_EQ(CountOf(again.output, ": duplicate of job "), 2u) << again.output;
  EXPECT_EQ(CountOf(again.output, "  duplicate  done "), 2u) << again.output;
  EXPECT_NE(again.output.find("files 2/2: 0 uploaded, 2 duplicates, 0 refused"), std::string::npos)
      << again.output;
  jobs = client_->Get("/api/v1/jobs", token_);
  EXPECT_EQ(jobs.Json()["jobs"].size(), 2u) << jobs.body;
}

TEST_F(IngestCliTest, ARefusedFileIsNamedWithTheServersCodeAndTheExitCodeIsOne) {
  WriteFile(folder_ + "/good.pdf", ReadFile(kRFaqPdf));
  WriteFile(folder_ + "/nested/fake.pdf", "plain text wearing a .pdf name");

  const CommandResult run = RunIngestCli(Ingest("'" + folder_ + "'"));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("fake.pdf: refused: HTTP 415 NOT_A_PDF"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("good.pdf: uploaded, job "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("files 2/2: 1 uploaded, 0 duplicates, 1 refused"), std::string::npos)
      << run.output;

  // Usage errors are exit code 2 and upload nothing.
  EXPECT_EQ(RunIngestCli(Ingest("'" + folder_ + "/missing'")).exit_code, 2);
  EXPECT_EQ(RunIngestCli(Ingest("'" + folder_ + "' --concurrency 0")).exit_code, 2);
  HttpResponse jobs = client_->Get("/api/v1/jobs", token_);
  EXPECT_EQ(jobs.Json()["jobs"].size(), 1u) << jobs.body;
}

}  // namespace
}  // namespace ingestd::itest
