// PARSE_MODE=local: real PDFs go through the sandboxed MuPDF helper end to end, and PDFs the
// helper cannot read are refused at upload with their typed 422, leaving nothing behind.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ingestd::itest
