// Uploads of real PDFs through both flows, run to completion by the in-process workers:
// job views, documents, chunks, events, correlation ids, duplicates and deletion.
#include <gtest/gtest.h>

#include <set>

#include "core/crypto.h"
#include "core/ids.h"
#include "harness/db_inspector.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

class UploadTest : public ServerTest {};

const std::vector<std::string> kPipelineCodes = {"PARSE_STORED", "PARSE_VALIDATED", "CHUNKS_STORED",
                                                 "EMBEDDINGS_STORED", "JOB_COMPLETED"};

void ExpectRfc3339(const json& v, const std::string& what) {
  ASSERT_TRUE(v.is_string()) << what << " = " << v.dump();
  EXPECT_TRUE(IsRfc3339Utc(v.get<std::string>())) << what << " = " << v.dump();
}

void ExpectJobViewShape(const json& v) {
  for (const char* key :
       {"job_id", "document_id", "status", "state", "progress", "retry_count", "last_error",
        "correlation_id", "service_mode", "timings", "retry_at", "created_at", "updated_at"}) {
    EXPECT_TRUE(v.contains(key)) << "job view lacks " << key << ": " << v.dump();
  }
  EXPECT_TRUE(IsUuid(v.value("job_id", ""))) << v.dump();
  EXPECT_TRUE(IsUuid(v.value("document_id", ""))) << v.dump();
  ExpectRfc3339(v["created_at"], "created_at");
  ExpectRfc3339(v["updated_at"], "updated_at");
  EXPECT_TRUE(v["progress"].contains("stage_pct") && v["progress"].contains("total_pct"));
}

// Checks a completed job's document through the API and its blobs on disk.
void ExpectIngested(HttpClient& client, const std::string& token, ServerProcess& server,
                    const json& job, const std::string& bytes, const std::string& filename) {
  std::string doc_id = job["document_id"];
  HttpResponse d = client.Get("/api/v1/documents/" + doc_id, token);
  ASSERT_EQ(d.status, 200) << d.Describe();
  json doc = d.Json();
  EXPECT_EQ(doc["document_id"], doc_id);
  EXPECT_EQ(doc["job_id"], job["job_id"]);
  EXPECT_EQ(doc["filename"], filename);
  EXPECT_EQ(doc["mime"], "application/pdf");
  EXPECT_EQ(doc["size_bytes"], bytes.size());
  EXPECT_EQ(doc["sha256"], Sha256Hex(bytes));
  EXPECT_GT(doc.value("page_count", 0), 0) << doc.dump();
  EXPECT_GT(doc.value("chunk_count", 0), 0) << doc.dump();
  EXPECT_EQ(doc["chunk_count"], doc["vector_count"]) << doc.dump();
  ExpectRfc3339(doc["created_at"], "document created_at");

  HttpResponse c = client.Get("/api/v1/documents/" + doc_id + "/chunks?limit=500", token);
  ASSERT_EQ(c.status, 200) << c.Describe();
  json chunks = c.Json()["chunks"];
  ASSERT_EQ(chunks.size(), std::min<size_t>(doc.value("chunk_count", size_t{0}), 500));
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i]["ord"], i);
    EXPECT_TRUE(IsUuid(chunks[i].value("chunk_id", "")));
    EXPECT_FALSE(chunks[i].value("text", "").empty());
    EXPECT_GT(chunks[i].value("token_count", 0), 0);
    EXPECT_LE(chunks[i].value("char_start", 0), chunks[i].value("char_end", -1));
  }

  EXPECT_EQ(Sha256OfFile(server.blobs_dir() + "/documents/" + doc_id + ".pdf"), Sha256Hex(bytes));
  EXPECT_FALSE(ReadFile(server.blobs_dir() + "/markdown/" + doc_id + ".md").empty());
}

TEST_F(UploadTest, TwoStepUploadOfRealPdfCompletes) {
  std::string bytes = ReadFile(kRFaqPdf);
  HttpResponse r = RequestUpload(*client_, token_, "R-FAQ.pdf", bytes);
  ASSERT_EQ(r.status, 200) << r.Describe();
  json up = r.Json();
  EXPECT_EQ(up["duplicate"], false);
  EXPECT_TRUE(IsUuid(up.value("job_id", "")));
  EXPECT_TRUE(IsUuid(up.value("document_id", "")));
  EXPECT_EQ(up["correlation_id"], r.Header("x-correlation-id"));
  ExpectRfc3339(up["upload_expires_at"], "upload_expires_at");
  std::string url = up.value("signed_url", "");
  ASSERT_TRUE(url.starts_with(server_->base_url() + "/api/v1/blobs/")) << url;

  HttpResponse before = client_->Get("/api/v1/jobs/" + up["job_id"].get<std::string>(), token_);
  ASSERT_EQ(before.status, 200) << before.Describe();
  EXPECT_EQ(before.Json()["status"], "awaiting_upload");
  EXPECT_EQ(before.Json()["state"], "queued");
  EXPECT_TRUE(ListFiles(server_->blobs_dir() + "/documents").empty());

  HttpResponse put = PutBlob(*client_, url, bytes);
  ASSERT_EQ(put.status, 200) << put.Describe();
  json put_view = put.Json();
  ExpectJobViewShape(put_view);
  EXPECT_EQ(put_view["job_id"], up["job_id"]);
  // API.md: status uploaded, state queued. The server reads the view back after waking the
  // workers, so one of them may already have claimed or advanced the job: only "the bytes
  // were accepted" is deterministic today.
  EXPECT_NE(put_view["status"], "awaiting_upload") << put.body;
  EXPECT_NE(put_view["state"], "deadletter") << put.body;

  WaitResult done = WaitForJob(*client_, token_, up["job_id"], IsComplete);
  ASSERT_TRUE(done.met) << done.view.dump();
  ExpectJobViewShape(done.view);
  EXPECT_TRUE(done.view["last_error"].is_null());
  EXPECT_EQ(done.view["service_mode"], "mock");
  EXPECT_EQ(done.view["progress"]["total_pct"], 100);
  EXPECT_EQ(done.view["retry_count"], 0);
  ExpectIngested(*client_, token_, *server_, done.view, bytes, "R-FAQ.pdf");

  auto codes = EventCodes(GetEvents(*client_, token_, up["job_id"]));
  std::vector<std::string> want = {"UPLOAD_ACCEPTED", "UPLOAD_COMPLETED"};
  want.insert(want.end(), kPipelineCodes.begin(), kPipelineCodes.end());
  EXPECT_TRUE(IsSubsequence(want, codes)) << Join(codes);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "JOB_COMPLETED"), 1) << Join(codes);
}

TEST_F(UploadTest, OneShotMultipartUploadOfRealPdfCompletes) {
  std::string bytes = ReadFile(kRDataPdf);
  HttpResponse r = UploadOneShot(*client_, token_, "R-data.pdf", bytes);
  ASSERT_EQ(r.status, 202) << r.Describe();
  json view = r.Json();
  ExpectJobViewShape(view);
  EXPECT_EQ(view["duplicate"], false);
  EXPECT_NE(view["status"], "awaiting_upload");

  WaitResult done = WaitForJob(*client_, token_, view["job_id"], IsComplete);
  ASSERT_TRUE(done.met) << done.view.dump();
  ExpectIngested(*client_, token_, *server_, done.view, bytes, "R-data.pdf");

  json events = GetEvents(*client_, token_, view["job_id"]);
  auto codes = EventCodes(events);
  std::vector<std::string> want = {"UPLOAD_ACCEPTED"};
  want.insert(want.end(), kPipelineCodes.begin(), kPipelineCodes.end());
  EXPECT_TRUE(IsSubsequence(want, codes)) << Join(codes);
  int64_t last_id = 0;
  for (auto& e : events) {
    EXPECT_GT(e.value("id", int64_t{0}), last_id) << "event ids must increase: " << e.dump();
    last_id = e.value("id", int64_t{0});
    ExpectRfc3339(e["at"], "event at");
    EXPECT_TRUE(e.contains("type") && e.contains("stage") && e.contains("payload")) << e.dump();
  }
}

TEST_F(UploadTest, CorrelationIdIsEchoedStoredAndInEveryEventAndLogLine) {
  const std::string corr = "itest-corr-7f3a";
  HttpResponse r = UploadOneShot(*client_, token_, "R-FAQ.pdf", ReadFile(kRFaqPdf),
                                 {{"X-Correlation-ID", corr}});
  ASSERT_EQ(r.status, 202) << r.Describe();
  EXPECT_EQ(r.Header("x-correlation-id"), corr);
  EXPECT_EQ(r.Json()["correlation_id"], corr);
  std::string job_id = r.Json()["job_id"];
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete);
  ASSERT_TRUE(done.met) << done.view.dump();
  EXPECT_EQ(done.view["correlation_id"], corr);

  json events = GetEvents(*client_, token_, job_id);
  ASSERT_FALSE(events.empty());
  for (auto& e : events) EXPECT_EQ(e["correlation_id"], corr) << e.dump();

  int job_lines = 0;
  for (auto& line : ReadJsonLines(server_->stderr_path())) {
    if (line.value("job_id", "") != job_id) continue;
    ++job_lines;
    EXPECT_EQ(line.value("correlation_id", ""), corr) << line.dump();
  }
  EXPECT_GT(job_lines, 0) << "no log line names job " << job_id;
}

TEST_F(UploadTest, TraceparentTraceIdBecomesTheCorrelationId) {
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  HttpResponse r = RequestUpload(*client_, token_, "R-FAQ.pdf", ReadFile(kRFaqPdf),
                                 {{"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.Header("x-correlation-id"), trace_id);
  EXPECT_EQ(r.Json()["correlation_id"], trace_id);
  HttpResponse job = client_->Get("/api/v1/jobs/" + r.Json()["job_id"].get<std::string>(), token_);
  EXPECT_EQ(job.Json()["correlation_id"], trace_id);
}

TEST_F(UploadTest, GeneratedCorrelationIdIsAUuidV4OnEveryResponse) {
  for (const char* target : {"/health", "/api/v1/jobs", "/api/v1/no-such-route"}) {
    HttpResponse r = client_->Get(target, token_);
    std::string id = r.Header("x-correlation-id");
    ASSERT_TRUE(IsUuid(id)) << target << ": '" << id << "'";
    EXPECT_EQ(id[14], '4') << id;
  }
  // An invalid traceparent (here: the all-zero trace-id W3C forbids) is ignored.
  HttpResponse zero = client_->Send(
      {.target = "/health",
       .headers = {{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}}});
  EXPECT_TRUE(IsUuid(zero.Header("x-correlation-id"))) << zero.Header("x-correlation-id");
  HttpResponse err = client_->Get("/api/v1/jobs/" + NewUuidV4(), token_);
  EXPECT_EQ(err.Json()["error"]["correlation_id"], err.Header("x-correlation-id"));
}

TEST_F(UploadTest, DuplicateUploadReturnsExistingIdsAndCreatesNoJob) {
  std::string bytes = ReadFile(kRFaqPdf);
  HttpResponse first = UploadOneShot(*client_, token_, "R-FAQ.pdf", bytes);
  ASSERT_EQ(first.status, 202) << first.Describe();
  std::string job_id = first.Json()["job_id"], doc_id = first.Json()["document_id"];
  ASSERT_TRUE(WaitForJob(*client_, token_, job_id, IsComplete).met);

  HttpResponse again = UploadOneShot(*client_, token_, "renamed.pdf", bytes);
  ASSERT_EQ(again.status, 200) << again.Describe();
  EXPECT_EQ(again.Json()["duplicate"], true);
  EXPECT_EQ(again.Json()["job_id"], job_id);
  EXPECT_EQ(again.Json()["document_id"], doc_id);

  HttpResponse two_step = RequestUpload(*client_, token_, "R-FAQ.pdf", bytes);
  ASSERT_EQ(two_step.status, 200) << two_step.Describe();
  EXPECT_EQ(two_step.Json()["duplicate"], true);
  EXPECT_EQ(two_step.Json()["job_id"], job_id);
  EXPECT_EQ(two_step.Json()["document_id"], doc_id);
  EXPECT_TRUE(two_step.Json()["signed_url"].is_null()) << two_step.body;

  DbInspector db(server_->db_path());
  ASSERT_TRUE(db.ok()) << db.error();
  EXPECT_EQ(db.Count("documents"), 1) << db.error();
  EXPECT_EQ(db.Count("jobs"), 1) << db.error();
  auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "UPLOAD_DEDUP_HIT"), 2) << Join(codes);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "JOB_COMPLETED"), 1) << Join(codes);
  EXPECT_EQ(ListFiles(server_->blobs_dir() + "/documents").size(), 1u);
}

TEST_F(UploadTest, DuplicateBeforeBytesArriveGetsAFreshUrlForTheSameJob) {
  std::string bytes = ReadFile(kRDataPdf);
  HttpResponse first = RequestUpload(*client_, token_, "R-data.pdf", bytes);
  ASSERT_EQ(first.status, 200) << first.Describe();
  HttpResponse again = RequestUpload(*client_, token_, "R-data.pdf", bytes);
  ASSERT_EQ(again.status, 200) << again.Describe();
  EXPECT_EQ(again.Json()["duplicate"], true);
  EXPECT_EQ(again.Json()["job_id"], first.Json()["job_id"]);
  std::string url = again.Json().value("signed_url", "");
  ASSERT_FALSE(url.empty()) << again.body;
  HttpResponse put = PutBlob(*client_, url, bytes);
  ASSERT_EQ(put.status, 200) << put.Describe();
  EXPECT_TRUE(WaitForJob(*client_, token_, first.Json()["job_id"], IsComplete).met);
}

TEST_F(UploadTest, SameBytesFromAnotherUserAreAnotherDocument) {
  std::string bytes = ReadFile(kRFaqPdf);
  HttpResponse alice = UploadOneShot(*client_, token_, "R-FAQ.pdf", bytes);
  HttpResponse bob = UploadOneShot(*client_, MakeToken("bob"), "R-FAQ.pdf", bytes);
  ASSERT_EQ(alice.status, 202) << alice.Describe();
  ASSERT_EQ(bob.status, 202) << bob.Describe();
  EXPECT_EQ(bob.Json()["duplicate"], false);
  EXPECT_NE(bob.Json()["document_id"], alice.Json()["document_id"]);
  EXPECT_NE(bob.Json()["job_id"], alice.Json()["job_id"]);
}

TEST_F(UploadTest, DeleteRemovesRowsAndBlobs) {
  std::string bytes = ReadFile(kRFaqPdf);
  HttpResponse r = UploadOneShot(*client_, token_, "R-FAQ.pdf", bytes);
  ASSERT_EQ(r.status, 202) << r.Describe();
  std::string job_id = r.Json()["job_id"], doc_id = r.Json()["document_id"];
  ASSERT_TRUE(WaitForJob(*client_, token_, job_id, IsComplete).met);
  ASSERT_FALSE(ListFiles(server_->blobs_dir()).empty());

  HttpResponse del = client_->Delete("/api/v1/documents/" + doc_id, token_);
  ASSERT_EQ(del.status, 204) << del.Describe();
  EXPECT_TRUE(del.body.empty());
  EXPECT_EQ(client_->Get("/api/v1/documents/" + doc_id, token_).ErrorCode(), "DOCUMENT_NOT_FOUND");
  EXPECT_EQ(client_->Get("/api/v1/jobs/" + job_id, token_).ErrorCode(), "JOB_NOT_FOUND");
  EXPECT_EQ(client_->Delete("/api/v1/documents/" + doc_id, token_).status, 404);

  DbInspector db(server_->db_path());
  ASSERT_TRUE(db.ok()) << db.error();
  for (const char* table : {"documents", "jobs", "chunks", "vectors", "events"}) {
    EXPECT_EQ(db.Count(table), 0) << table << " " << db.error();
  }
  EXPECT_TRUE(StrayDataFiles(server_->data_dir()).empty())
      << Join(StrayDataFiles(server_->data_dir()));

  // The same bytes can be uploaded again afterwards: a new document, not a duplicate.
  HttpResponse again = UploadOneShot(*client_, token_, "R-FAQ.pdf", bytes);
  ASSERT_EQ(again.status, 202) << again.Describe();
  EXPECT_NE(again.Json()["document_id"], doc_id);
}

TEST_F(UploadTest, ListJobsFiltersAndPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    HttpResponse r =
        UploadOneShot(*client_, token_, "doc.pdf", TaggedPdf(kRFaqPdf, std::to_string(i)));
    ASSERT_EQ(r.status, 202) << r.Describe();
    ids.push_back(r.Json()["job_id"]);
  }
  ASSERT_EQ(RequestUpload(*client_, token_, "later.pdf", ReadFile(kRDataPdf)).status, 200);
  for (auto& id : ids) ASSERT_TRUE(WaitForJob(*client_, token_, id, IsComplete).met);

  json all = client_->Get("/api/v1/jobs", token_).Json();
  EXPECT_EQ(all["jobs"].size(), 4u) << all.dump();
  EXPECT_EQ(all["limit"], 50);
  EXPECT_EQ(all["offset"], 0);
  json done = client_->Get("/api/v1/jobs?state=done", token_).Json();
  EXPECT_EQ(done["jobs"].size(), 3u) << done.dump();
  json waiting = client_->Get("/api/v1/jobs?status=awaiting_upload", token_).Json();
  ASSERT_EQ(waiting["jobs"].size(), 1u) << waiting.dump();
  EXPECT_EQ(waiting["jobs"][0]["status"], "awaiting_upload");

  json page1 = client_->Get("/api/v1/jobs?state=done&limit=2", token_).Json();
  json page2 = client_->Get("/api/v1/jobs?state=done&limit=2&offset=2", token_).Json();
  ASSERT_EQ(page1["jobs"].size(), 2u);
  ASSERT_EQ(page2["jobs"].size(), 1u);
  EXPECT_EQ(page2["offset"], 2);
  std::set<std::string> seen;
  for (auto& j : page1["jobs"]) seen.insert(j["job_id"]);
  for (auto& j : page2["jobs"]) seen.insert(j["job_id"]);
  EXPECT_EQ(seen, std::set<std::string>(ids.begin(), ids.end()));

  for (const char* bad :
       {"?state=finished", "?status=nope", "?limit=abc", "?limit=-1", "?offset=-5"}) {
    HttpResponse r = client_->Get(std::string("/api/v1/jobs") + bad, token_);
    EXPECT_EQ(r.status, 400) << bad << " " << r.Describe();
    EXPECT_EQ(r.ErrorCode(), "INVALID_FILTER") << bad;
  }
  EXPECT_TRUE(client_->Get("/api/v1/jobs", MakeToken("bob")).Json()["jobs"].empty());
}

TEST_F(UploadTest, UploadLimitsDescribeTheConfiguration) {
  HttpResponse r = client_->Get("/api/v1/upload/limits", token_);
  ASSERT_EQ(r.status, 200) << r.Describe();
  json j = r.Json();
  EXPECT_EQ(j["max_upload_bytes"], 104857600);
  EXPECT_EQ(j["allowed_mime_types"], json::array({"application/pdf"}));
  EXPECT_EQ(j["upload_url_ttl_seconds"], 900);
}

}  // namespace
}  // namespace ingestd::itest
