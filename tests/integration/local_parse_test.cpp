// PARSE_MODE=local (the default): real PDFs go through the sandboxed MuPDF helper end to end, and
// PDFs the helper cannot read are refused at upload with their typed 422, leaving nothing behind. A
// helper that breaks out of what its sandbox allows costs only its own job, and running without
// the sandbox is never silent.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/db_inspector.h"
#include "harness/test_support.h"
#include "pdf/test_pdfs.h"

namespace ingestd::itest {
namespace {

using pdf::testing::BuildPdf;

class LocalParseTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "local"}};
  }

  void ExpectNothingStored() {
    DbInspector db(server_->db_path());
    ASSERT_TRUE(db.ok()) << db.error();
    EXPECT_EQ(db.Count("documents"), 0) << db.error();
    EXPECT_EQ(db.Count("jobs"), 0) << db.error();
    EXPECT_TRUE(StrayDataFiles(server_->data_dir()).empty())
        << Join(StrayDataFiles(server_->data_dir()));
  }
};

std::string EncryptedPdf() {
  std::string u = "<" + std::string(64, 'A') + ">";
  return BuildPdf({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>",
                   "<< /Filter /Standard /V 1 /R 2 /O " + u + " /U " + u + " /P -4 >>"},
                  "/Encrypt 3 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> "
                  "<0123456789ABCDEF0123456789ABCDEF>]");
}

// The log lines that say how the helper is confined (or that it is not).
std::vector<json> SandboxLogLines(const std::string& stderr_path) {
  std::vector<json> out;
  for (const json& line : ReadJsonLines(stderr_path)) {
    if (line.value("msg", "").find("sandbox") != std::string::npos) out.push_back(line);
  }
  return out;
}

TEST_F(LocalParseTest, RealManualIsParsedIntoItsOwnText) {
  HttpResponse up = UploadOneShot(*client_, token_, "R-data.pdf", ReadFile(kRDataPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  json job = up.Json();
  EXPECT_EQ(job["service_mode"], "parse=local,embed=mock");
  auto done = WaitForJob(*client_, token_, job["job_id"], IsComplete, 120000);
  ASSERT_TRUE(done.met) << done.view.dump();

  std::string doc_id = job["document_id"];
  auto doc = client_->Get("/api/v1/documents/" + doc_id, token_).Json();
  EXPECT_EQ(doc["page_count"], 41);  // pdfinfo's count
  EXPECT_GT(doc["chunk_count"].get<int>(), 10);
  EXPECT_EQ(doc["chunk_count"], doc["vector_count"]);

  auto chunks = client_->Get("/api/v1/documents/" + doc_id + "/chunks?limit=500", token_).Json();
  std::string all_text, all_paths;
  int max_page = 0;
  for (const auto& c : chunks["chunks"]) {
    all_text += c["text"].get<std::string>();
    all_paths += c["heading_path"].get<std::string>() + "\n";
    ASSERT_TRUE(c["page_start"].is_number()) << c.dump();
    max_page = std::max(max_page, c["page_end"].get<int>());
  }
  // The manual's own words and chapter titles, not mock text.
  EXPECT_NE(all_text.find("spreadsheet"), std::string::npos);
  EXPECT_NE(all_paths.find("Spreadsheet-like data"), std::string::npos) << all_paths;
  EXPECT_GT(max_page, 30);

  // What confined the helper is logged, and nothing warns of a missing sandbox.
  std::vector<json> lines = SandboxLogLines(server_->stderr_path());
  ASSERT_FALSE(lines.empty()) << server_->StderrTail();
  for (const json& line : lines) {
    EXPECT_EQ(line["level"], "info") << line.dump();
    EXPECT_NE(line.value("isolation", "").find("seccomp=kill"), std::string::npos) << line.dump();
  }
}

// With no mode configured (`make run`), a manual comes back as its own text with free
// local vectors: the MuPDF parser and the hashing embedder, no key, $0.
TEST_F(LocalParseTest, TheDefaultModesParseAndEmbedLocallyForFree) {
  server_->Stop();
  server_->UnsetEnv("SERVICE_MODE");
  server_->UnsetEnv("PARSE_MODE");
  Restart();
  HttpResponse up = UploadOneShot(*client_, token_, "R-data.pdf", ReadFile(kRDataPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  EXPECT_EQ(up.Json()["service_mode"], "local");
  auto done = WaitForJob(*client_, token_, up.Json()["job_id"], IsComplete, 120000);
  ASSERT_TRUE(done.met) << done.view.dump();
  for (const char* stage : {"parse", "embed"}) {
    EXPECT_EQ(done.view["stage_routes"][stage]["implementation"], "local") << done.view.dump();
  }
  EXPECT_EQ(done.view["actual_cost"]["embed_nanos"], 0) << done.view.dump();

  DbInspector db(server_->db_path());
  ASSERT_TRUE(db.ok()) << db.error();
  auto spaces = db.Query("SELECT model, dims, COUNT(*) FROM vectors GROUP BY model, dims");
  ASSERT_EQ(spaces.size(), 1u);
  EXPECT_EQ(spaces[0][0], "ingestd-hash-v1@1024");
  EXPECT_EQ(spaces[0][1], "1024");
  EXPECT_EQ(spaces[0][2], std::to_string(db.Count("chunks")));
  EXPECT_GT(db.Count("chunks", "text LIKE '%spreadsheet%'"), 0) << "the manual's own words";
}

TEST_F(LocalParseTest, UnreadablePdfsAreRefusedAtUploadWithTheirCode) {
  struct Case {
    std::string name, bytes, code;
  } cases[] = {
      {"corrupt.pdf", "%PDF-1.4\nthis is not a PDF body at all\n", "PDF_CORRUPT"},
      {"encrypted.pdf", EncryptedPdf(), "PDF_ENCRYPTED"},
      {"zero.pdf",
       BuildPdf({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"}),
       "PDF_NO_PAGES"},
  };
  for (const auto& c : cases) {
    HttpResponse r = UploadOneShot(*client_, token_, c.name, c.bytes);
    EXPECT_EQ(r.status, 422) << c.name << ": " << r.Describe();
    EXPECT_EQ(r.ErrorCode(), c.code) << c.name << ": " << r.Describe();
  }
  ExpectNothingStored();
}

TEST_F(LocalParseTest, TwoStepUploadOfAnEncryptedPdfLeavesTheJobWaiting) {
  std::string bytes = EncryptedPdf();
  HttpResponse up = RequestUpload(*client_, token_, "encrypted.pdf", bytes);
  ASSERT_EQ(up.status, 200) << up.Describe();
  HttpResponse put = PutBlob(*client_, up.Json()["signed_url"], bytes);
  EXPECT_EQ(put.status, 422) << put.Describe();
  EXPECT_EQ(put.ErrorCode(), "PDF_ENCRYPTED");
  auto job = client_->Get("/api/v1/jobs/" + up.Json()["job_id"].get<std::string>(), token_).Json();
  EXPECT_EQ(job["status"], "awaiting_upload");
  EXPECT_TRUE(ListFiles(server_->blobs_dir() + "/documents").empty());
}

// The helper of each job's parse attempts one forbidden operation once sandboxed
// (INGESTD_TEST_PDF_SANDBOX_PROBES), as an exploited MuPDF would: open a system file, open a
// socket, execute a program, read the server's own secret in its data directory.
class SandboxProbeTest : public LocalParseTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "local"}, {"INGESTD_WORKERS", "1"}, {"INGESTD_RETRY_BASE_MS", "50"}};
  }
};

TEST_F(SandboxProbeTest, AnEscapeAttemptFailsOnlyItsJobPermanentlyAndTheNextPdfParses) {
  const std::string secret = server_->data_dir() + "/secrets/upload_secret";
  ASSERT_TRUE(std::filesystem::exists(secret));
  const std::vector<std::string> probes = {"open", "socket", "execve", "read:" + secret};
  ASSERT_EQ(server_->Stop(), 0);
  server_->SetEnv("INGESTD_TEST_PDF_SANDBOX_PROBES", Join(probes));
  Restart();
  const pid_t pid = server_->pid();

  for (const std::string& probe : probes) {
    HttpResponse up =
        UploadOneShot(*client_, token_, "probe.pdf", TaggedPdf(kRDataPdf, "probe " + probe));
    ASSERT_EQ(up.status, 202) << probe << ": " << up.Describe();
    std::string job_id = up.Json()["job_id"];
    WaitResult dead = WaitForJob(*client_, token_, job_id, IsSettled, 60000);
    ASSERT_TRUE(dead.met) << probe << ": " << dead.view.dump();
    EXPECT_EQ(dead.view["state"], "deadletter") << probe << ": " << dead.view.dump();
    ASSERT_TRUE(dead.view["last_error"].is_object()) << probe << ": " << dead.view.dump();
    EXPECT_EQ(dead.view["last_error"]["code"], "PDF_SANDBOX_VIOLATION") << dead.view.dump();
    EXPECT_EQ(dead.view.value("retry_count", -1), 0) << probe << ": " << dead.view.dump();
    auto codes = EventCodes(GetEvents(*client_, token_, job_id));
    EXPECT_EQ(std::count(codes.begin(), codes.end(), "RETRY_SCHEDULED"), 0) << Join(codes);
    EXPECT_EQ(std::count(codes.begin(), codes.end(), "DLQ_MOVED"), 1) << Join(codes);
  }

  // The same server, with no probe left, parses the next PDF into its own text.
  HttpResponse up = UploadOneShot(*client_, token_, "R-data.pdf", ReadFile(kRDataPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  WaitResult done = WaitForJob(*client_, token_, up.Json()["job_id"], IsComplete, 120000);
  ASSERT_TRUE(done.met) << done.view.dump();
  EXPECT_EQ(server_->pid(), pid);
  auto doc =
      client_->Get("/api/v1/documents/" + up.Json()["document_id"].get<std::string>(), token_)
          .Json();
  EXPECT_EQ(doc["page_count"], 41);
  EXPECT_GT(doc["chunk_count"].get<int>(), 10);
}

class SandboxOffTest : public LocalParseTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "local"}, {"INGESTD_PDF_SANDBOX", "off"}};
  }
};

TEST_F(SandboxOffTest, ServeWarnsAtStartAndStillParses) {
  std::vector<json> lines = SandboxLogLines(server_->stderr_path());
  ASSERT_FALSE(lines.empty()) << server_->StderrTail();
  EXPECT_EQ(lines[0]["level"], "warn") << lines[0].dump();
  EXPECT_NE(lines[0]["msg"].get<std::string>().find("INGESTD_PDF_SANDBOX=off"), std::string::npos)
      << lines[0].dump();

  HttpResponse up = UploadOneShot(*client_, token_, "R-data.pdf", ReadFile(kRDataPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  ASSERT_TRUE(WaitForJob(*client_, token_, up.Json()["job_id"], IsComplete, 120000).met);
  // The helpers that counted and parsed it were started without the sandbox, and said so.
  lines = SandboxLogLines(server_->stderr_path());
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const json& line) {
    return line["msg"] == "pdf helper runs WITHOUT its sandbox (INGESTD_PDF_SANDBOX=off)";
  })) << server_->StderrTail();
}

}  // namespace
}  // namespace ingestd::itest
