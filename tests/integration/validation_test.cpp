// Every bad input of API.md gets its status and error code, and leaves nothing behind:
// no rows in the store and no files (blobs or half-written temp files) in the data dir.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/crypto.h"
#include "harness/db_inspector.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

constexpr int64_t kMaxUpload = 1'000'000;  // R-FAQ (370 KB) fits, R-exts (1.05 MB) does not

class ValidationTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_MAX_UPLOAD_BYTES", std::to_string(kMaxUpload)}};
  }

  void ExpectError(const HttpResponse& r, long status, const std::string& code,
                   const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.Describe();
    EXPECT_EQ(r.ErrorCode(), code) << what << ": " << r.Describe();
    json err = r.Json();
    if (err.is_object() && err.contains("error")) {
      EXPECT_TRUE(err["error"].value("message", "").size() > 0) << what;
      EXPECT_EQ(err["error"].value("correlation_id", ""), r.Header("x-correlation-id")) << what;
    }
  }

  // Nothing of any rejected request may remain.
  void ExpectNothingStored() {
    DbInspector db(server_->db_path());
    ASSERT_TRUE(db.ok()) << db.error();
    for (const char* table : {"documents", "jobs", "chunks", "vectors", "events"}) {
      EXPECT_EQ(db.Count(table), 0) << table << " " << db.error();
    }
    EXPECT_TRUE(StrayDataFiles(server_->data_dir()).empty())
        << Join(StrayDataFiles(server_->data_dir()));
  }

  HttpResponse PostUploadRaw(const std::string& body) {
    return client_->Send({.method = "POST",
                          .target = "/api/v1/upload",
                          .headers = {{"Content-Type", "application/json"}},
                          .bearer = token_,
                          .body = body});
  }

  HttpResponse PostDocumentsRaw(const std::string& content_type, const std::string& body) {
    return client_->Send({.method = "POST",
                          .target = "/api/v1/documents",
                          .headers = {{"Content-Type", content_type}},
                          .bearer = token_,
                          .body = body});
  }
};

json GoodMeta() {
  return {{"filename", "a.pdf"},
          {"bytes_len", 1000},
          {"mime", "application/pdf"},
          {"sha256", std::string(64, 'a')}};
}

TEST_F(ValidationTest, BadUploadMetadataIsRejectedWithItsCode) {
  struct Case {
    std::string what;
    json body;
    long status;
    std::string code;
  };
  std::vector<Case> cases;
  for (const char* field : {"filename", "bytes_len", "mime", "sha256"}) {
    json b = GoodMeta();
    b.erase(field);
    cases.push_back({std::string("missing ") + field, b, 400, "MISSING_FIELD"});
  }
  auto with = [](const char* key, json value) {
    json b = GoodMeta();
    b[key] = std::move(value);
    return b;
  };
  cases.push_back({"filename number", with("filename", 7), 400, "INVALID_FIELD"});
  cases.push_back({"bytes_len string", with("bytes_len", "1000"), 400, "INVALID_FIELD"});
  cases.push_back({"bytes_len fraction", with("bytes_len", 10.5), 400, "INVALID_FIELD"});
  cases.push_back({"mime array", with("mime", json::array()), 400, "INVALID_FIELD"});
  cases.push_back({"sha256 number", with("sha256", 123), 400, "INVALID_FIELD"});
  cases.push_back({"ocr string", with("ocr", "yes"), 400, "INVALID_FIELD"});
  cases.push_back({"empty filename", with("filename", ""), 400, "INVALID_FILENAME"});
  cases.push_back({"256-byte filename", with("filename", std::string(252, 'x') + ".pdf"), 400,
                   "INVALID_FILENAME"});
  cases.push_back({"zero bytes", with("bytes_len", 0), 400, "EMPTY_FILE"});
  cases.push_back({"negative bytes", with("bytes_len", -5), 400, "EMPTY_FILE"});
  cases.push_back({"over max", with("bytes_len", kMaxUpload + 1), 413, "FILE_TOO_LARGE"});
  cases.push_back({"text/plain", with("mime", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"});
  cases.push_back({"empty mime", with("mime", ""), 415, "UNSUPPORTED_MEDIA_TYPE"});
  cases.push_back({"short sha", with("sha256", std::string(63, 'a')), 422, "INVALID_SHA256"});
  cases.push_back({"long sha", with("sha256", std::string(65, 'a')), 422, "INVALID_SHA256"});
  cases.push_back({"non-hex sha", with("sha256", std::string(64, 'g')), 422, "INVALID_SHA256"});

  for (auto& c : cases) ExpectError(PostUploadRaw(c.body.dump()), c.status, c.code, c.what);
  for (const char* malformed : {"{", "", "not json", "{\"filename\":\"a.pdf\",}"}) {
    ExpectError(PostUploadRaw(malformed), 400, "INVALID_JSON", std::string("body ") + malformed);
  }
  ExpectNothingStored();
}

TEST_F(ValidationTest, InvalidUtf8FilenameIsRejected) {
  // Raw invalid UTF-8 inside a JSON string: rejected as a filename or as malformed JSON
  // (a strict JSON parser refuses it before the field is looked at); never stored.
  std::string body = GoodMeta().dump();
  body.replace(body.find("a.pdf"), 5, "\xff\xfe.pdf");
  HttpResponse r = PostUploadRaw(body);
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_TRUE(r.ErrorCode() == "INVALID_FILENAME" || r.ErrorCode() == "INVALID_JSON")
      << r.Describe();
  ExpectNothingStored();
}

TEST_F(ValidationTest, FilenameAt255BytesIsAcceptedAndControlCharactersAreStripped) {
  std::string bytes = ReadFile(kRFaqPdf);
  std::string longest = std::string(251, 'y') + ".pdf";
  HttpResponse r = RequestUpload(*client_, token_, longest, bytes);
  ASSERT_EQ(r.status, 200) << r.Describe();
  HttpResponse d =
      client_->Get("/api/v1/documents/" + r.Json()["document_id"].get<std::string>(), token_);
  EXPECT_EQ(d.Json()["filename"], longest);

  HttpResponse c =
      UploadOneShot(*client_, token_, "../../etc/pa\tss\x01wd.pdf", TaggedPdf(kRFaqPdf, "ctl"));
  ASSERT_EQ(c.status, 202) << c.Describe();
  std::string doc_id = c.Json()["document_id"];
  std::string stored =
      client_->Get("/api/v1/documents/" + doc_id, token_).Json().value("filename", "");
  for (char ch : stored) EXPECT_GE(static_cast<unsigned char>(ch), 0x20) << stored;
  EXPECT_NE(stored.find("wd.pdf"), std::string::npos) << stored;
  // The filename never becomes a path: the only blob is named by the document id.
  EXPECT_EQ(ListFiles(server_->blobs_dir() + "/documents"),
            std::vector<std::string>{doc_id + ".pdf"});
}

class PutBlobTest : public ValidationTest {
 protected:
  // A two-step upload for bytes, declared as they are; returns its signed URL.
  std::string Prepare(const std::string& bytes) {
    HttpResponse r = RequestUpload(*client_, token_, "x.pdf", bytes);
    EXPECT_EQ(r.status, 200) << r.Describe();
    job_id_ = r.Json().value("job_id", "");
    return r.Json().value("signed_url", "");
  }
  void ExpectStillAwaitingUploadAndNoFiles() {
    HttpResponse job = client_->Get("/api/v1/jobs/" + job_id_, token_);
    EXPECT_EQ(job.Json()["status"], "awaiting_upload") << job.Describe();
    EXPECT_TRUE(StrayDataFiles(server_->data_dir()).empty())
        << Join(StrayDataFiles(server_->data_dir()));
  }
  std::string job_id_;
};

TEST_F(PutBlobTest, BadBodiesAreRejectedAndNothingHalfWrittenRemains) {
  std::string bytes = ReadFile(kRFaqPdf);
  std::string url = Prepare(bytes);
  ASSERT_FALSE(url.empty());

  ExpectError(PutBlob(*client_, url, bytes.substr(0, bytes.size() - 1)), 400, "SIZE_MISMATCH",
              "short body");
  ExpectStillAwaitingUploadAndNoFiles();
  ExpectError(PutBlob(*client_, url, bytes + "x"), 400, "SIZE_MISMATCH", "long body");
  ExpectStillAwaitingUploadAndNoFiles();
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x55;
  ExpectError(PutBlob(*client_, url, flipped), 422, "SHA256_MISMATCH", "wrong hash");
  ExpectStillAwaitingUploadAndNoFiles();

  // The token is the credential: forged or garbled ones are refused.
  std::string token = url.substr(url.rfind('/') + 1);
  std::string forged = token;
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  std::string base = url.substr(0, url.rfind('/') + 1);
  ExpectError(PutBlob(*client_, base + forged, bytes), 403, "UPLOAD_TOKEN_INVALID", "forged");
  ExpectError(PutBlob(*client_, base + "garbage", bytes), 403, "UPLOAD_TOKEN_INVALID", "garbage");
  ExpectStillAwaitingUploadAndNoFiles();

  // After all that the right bytes still go through, exactly once.
  HttpResponse ok = PutBlob(*client_, url, bytes);
  ASSERT_EQ(ok.status, 200) << ok.Describe();
  ExpectError(PutBlob(*client_, url, bytes), 409, "UPLOAD_ALREADY_COMPLETED", "second PUT");
  EXPECT_TRUE(WaitForJob(*client_, token_, job_id_, IsComplete).met);
}

TEST_F(PutBlobTest, BytesWithoutPdfMagicAre415) {
  std::string not_pdf = "<html>" + std::string(5000, 'z') + "</html>";
  std::string url = Prepare(not_pdf);
  ASSERT_FALSE(url.empty());
  ExpectError(PutBlob(*client_, url, not_pdf), 415, "NOT_A_PDF", "html body");
  ExpectStillAwaitingUploadAndNoFiles();
}

class ExpiringUrlTest : public ValidationTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_UPLOAD_URL_TTL_S", "1"}};
  }
};

TEST_F(ExpiringUrlTest, ExpiredUploadUrlIs403) {
  std::string bytes = ReadFile(kRDataPdf);
  HttpResponse r = RequestUpload(*client_, token_, "R-data.pdf", bytes);
  ASSERT_EQ(r.status, 200) << r.Describe();
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  ExpectError(PutBlob(*client_, r.Json()["signed_url"], bytes), 403, "UPLOAD_TOKEN_EXPIRED",
              "expired url");
  EXPECT_TRUE(StrayDataFiles(server_->data_dir()).empty());
  // A repeated request for the same bytes hands out a fresh URL that works.
  HttpResponse again = RequestUpload(*client_, token_, "R-data.pdf", bytes);
  ASSERT_EQ(again.status, 200) << again.Describe();
  EXPECT_EQ(PutBlob(*client_, again.Json()["signed_url"], bytes).status, 200);
}

TEST_F(ValidationTest, BadMultipartUploadsAreRejectedAndNothingIsStored) {
  std::string pdf = ReadFile(kRFaqPdf);
  auto expect_multipart = [&](const Multipart& m, long status, const std::string& code,
                              const std::string& what) {
    ExpectError(PostDocumentsRaw(m.content_type, m.body), status, code, what);
  };
  expect_multipart(BuildMultipart("attachment", "a.pdf", "a small field"), 400, "MISSING_FILE",
                   "no file");
  expect_multipart(BuildMultipart("file", "a.pdf", ""), 400, "EMPTY_FILE", "empty file");
  expect_multipart(BuildMultipart("file", "a.pdf", "hello, not a pdf"), 415, "NOT_A_PDF",
                   "not a pdf");
  expect_multipart(BuildMultipart("file", "", pdf), 400, "INVALID_FILENAME", "empty filename");
  expect_multipart(BuildMultipart("file", std::string(300, 'n') + ".pdf", pdf), 400,
                   "INVALID_FILENAME", "long filename");
  expect_multipart(BuildMultipart("file", "\xc3\x28.pdf", pdf), 400, "INVALID_FILENAME",
                   "invalid utf-8 filename");
  expect_multipart(BuildMultipart("file", "big.pdf", ReadFile(kRExtsPdf)), 413, "FILE_TOO_LARGE",
                   "too large");

  Multipart good = BuildMultipart("file", "a.pdf", pdf);
  ExpectError(PostDocumentsRaw("application/json", "{}"), 400, "INVALID_MULTIPART",
              "not multipart");
  ExpectError(PostDocumentsRaw("multipart/form-data", good.body), 400, "INVALID_MULTIPART",
              "no boundary");
  ExpectError(PostDocumentsRaw(good.content_type, good.body.substr(0, good.body.size() / 2)), 400,
              "INVALID_MULTIPART", "truncated body");
  ExpectError(PostDocumentsRaw(good.content_type, "garbage without any boundary"), 400,
              "INVALID_MULTIPART", "garbage body");
  ExpectNothingStored();
}

}  // namespace
}  // namespace ingestd::itest
