// GET /api/v1/openapi.json on the real binary: the checked-in document, served open with its
// type and validator; then a sample of real responses — both uploads, the job view, lists,
// chunks, search, costs, operator views, sign-in, error bodies
// 400/401/403/404/409/413/415/422/429 and a 503 of /ready — checked against the schemas of the
// document the server serves by tests/openapi/check_responses.mjs (npm ajv, JSON Schema 2020-12),
// in one node run.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <tuple>

#include "core/jwt.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

class OpenApiTest : public ServerTest {
 protected:
  // Two searches a minute: the third of the test is the 429.
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_SEARCHES_PER_MINUTE", "2"}};
  }

  // The response of method on a route (its pattern, as in the document) to check.
  const HttpResponse& Record(const std::string& method, const std::string& pattern,
                             const HttpResponse& r) {
    // JSON bodies parsed, others as text (a JSON type on text fails the check), none as null.
    json body = nullptr;
    const std::string type = r.Header("content-type");
    if (!r.body.empty()) body = type.starts_with("application/json") ? r.Json() : json(r.body);
    if (body.is_discarded()) body = r.body;
    samples_.push_back({{"method", method},
                        {"pattern", pattern},
                        {"status", r.status},
                        {"content_type", type},
                        {"body", body}});
    return r;
  }

  json samples_ = json::array();
};

TEST_F(OpenApiTest, ServesTheCheckedInDocumentOpenWithItsValidator) {
  HttpResponse r = client_->Get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.body, ReadFile(INGESTD_OPENAPI_JSON));
  EXPECT_EQ(r.Json()["openapi"], "3.1.0");
  const std::string etag = r.Header("etag");
  ASSERT_FALSE(etag.empty());
  HttpResponse again =
      client_->Send({.target = "/api/v1/openapi.json", .headers = {{"If-None-Match", etag}}});
  EXPECT_EQ(again.status, 304) << again.Describe();
}

TEST_F(OpenApiTest, RealResponsesMatchTheDocumentsSchemas) {
  const std::string admin =
      SignJwt({.sub = "ops", .role = "admin", .exp = std::time(nullptr) + 3600}, kTestJwtSecret);
  const std::string pdf = TaggedPdf(kRFaqPdf, "openapi");

  // Uploads: one-shot (202, then 200 duplicate) and declared + PUT.
  HttpResponse posted =
      Record("POST", "/api/v1/documents", UploadOneShot(*client_, token_, "faq.pdf", pdf));
  ASSERT_EQ(posted.status, 202) << posted.Describe();
  Record("POST", "/api/v1/documents", UploadOneShot(*client_, token_, "faq.pdf", pdf));
  const std::string other = TaggedPdf(kRFaqPdf, "openapi-two-step");
  HttpResponse declared =
      Record("POST", "/api/v1/upload", RequestUpload(*client_, token_, "two.pdf", other));
  ASSERT_EQ(declared.status, 200) << declared.Describe();
  Record("PUT", "/api/v1/blobs/{token}",
         PutBlob(*client_, declared.Json()["signed_url"].get<std::string>(), other));

  const std::string job_id = posted.Json()["job_id"];
  const std::string document_id = posted.Json()["document_id"];
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete);
  ASSERT_TRUE(done.met) << done.view.dump();

  Record("GET", "/api/v1/jobs/{id}", client_->Get("/api/v1/jobs/" + job_id, token_));
  // The check can fail: the job view without its status is refused.
  json broken = samples_.back();
  broken["body"].erase("status");
  broken["expect_invalid"] = true;
  samples_.push_back(broken);

  Record("GET", "/api/v1/jobs", client_->Get("/api/v1/jobs", token_));
  Record("GET", "/api/v1/jobs/{id}/events",
         client_->Get("/api/v1/jobs/" + job_id + "/events", token_));
  Record("GET", "/api/v1/documents", client_->Get("/api/v1/documents", token_));
  Record("GET", "/api/v1/documents/{id}", client_->Get("/api/v1/documents/" + document_id, token_));
  Record(
      "GET", "/api/v1/documents/{id}/chunks",
      client_->Get("/api/v1/documents/" + document_id + "/chunks?limit=3&include=vectors", token_));
  Record("GET", "/api/v1/export", client_->Get("/api/v1/export", token_));
  HttpResponse found = Record("POST", "/api/v1/search",
                              client_->PostJson("/api/v1/search", {{"query", "R FAQ"}}, token_));
  EXPECT_EQ(found.status, 200) << found.Describe();
  Record("POST", "/api/v1/search",
         client_->PostJson("/api/v1/search", {{"query", "package"}, {"mode", "keyword"}}, token_));
  HttpResponse limited = Record("POST", "/api/v1/search",
                                client_->PostJson("/api/v1/search", {{"query", "again"}}, token_));
  EXPECT_EQ(limited.status, 429) << limited.Describe();
  Record("GET", "/api/v1/costs", client_->Get("/api/v1/costs", token_));
  Record("GET", "/api/v1/costs", client_->Get("/api/v1/costs?group_by=day", admin));
  Record("GET", "/api/v1/upload/limits", client_->Get("/api/v1/upload/limits", token_));
  Record("GET", "/api/v1/services/health", client_->Get("/api/v1/services/health", admin));
  Record("GET", "/api/v1/services/modes/history",
         client_->Get("/api/v1/services/modes/history", admin));
  Record("GET", "/api/v1/search/index", client_->Get("/api/v1/search/index", admin));
  Record("GET", "/api/v1/alerts", client_->Get("/api/v1/alerts", admin));
  Record("GET", "/api/v1/audit", client_->Get("/api/v1/audit", admin));
  const std::string code = SigninCode(*server_, "--user dev");
  const json signin = {{"code", code}};
  EXPECT_EQ(Record("POST", "/api/v1/auth/signin", client_->PostJson("/api/v1/auth/signin", signin))
                .status,
            200);
  Record("GET", "/health", client_->Get("/health"));
  Record("GET", "/ready", client_->Get("/ready"));
  Record("GET", "/metrics", client_->Get("/metrics"));

  // Error bodies.
  EXPECT_EQ(Record("GET", "/api/v1/jobs", client_->Get("/api/v1/jobs?state=bogus", token_)).status,
            400);
  EXPECT_EQ(
      Record("POST", "/api/v1/search", client_->PostJson("/api/v1/search", json::object(), token_))
          .status,
      400);
  EXPECT_EQ(Record("POST", "/api/v1/auth/signin",
                   client_->PostJson("/api/v1/auth/signin", json::object()))
                .status,
            400);
  EXPECT_EQ(Record("GET", "/api/v1/jobs", client_->Get("/api/v1/jobs")).status, 401);
  EXPECT_EQ(Record("POST", "/api/v1/auth/signin", client_->PostJson("/api/v1/auth/signin", signin))
                .status,
            401);  // used
  EXPECT_EQ(Record("GET", "/api/v1/audit", client_->Get("/api/v1/audit", token_)).status, 403);
  EXPECT_EQ(
      Record("GET", "/api/v1/jobs/{id}", client_->Get("/api/v1/jobs/no-such-job", token_)).status,
      404);
  EXPECT_EQ(Record("POST", "/api/v1/jobs/{id}/retry",
                   client_->PostJson("/api/v1/jobs/" + job_id + "/retry", json::object(), token_))
                .status,
            409);
  // Upload refusals: too large, not a PDF, a malformed hash.
  const json declare = {{"filename", "big.pdf"},
                        {"bytes_len", 1000},
                        {"mime", "application/pdf"},
                        {"sha256", std::string(64, 'a')}};
  for (auto [field, value, status] : {std::tuple{"bytes_len", json(int64_t{1} << 40), 413},
                                      {"mime", json("text/plain"), 415},
                                      {"sha256", json("not-a-sha"), 422}}) {
    json body = declare;
    body[field] = value;
    EXPECT_EQ(
        Record("POST", "/api/v1/upload", client_->PostJson("/api/v1/upload", body, token_)).status,
        status)
        << field;
  }
  EXPECT_EQ(Record("DELETE", "/api/v1/documents/{id}",
                   client_->Delete("/api/v1/documents/" + document_id, token_))
                .status,
            204);

  // Not ready: the blob root gone (moved away, then back) while no job writes to it.
  const std::string two_step_job = declared.Json()["job_id"];
  ASSERT_TRUE(WaitForJob(*client_, token_, two_step_job, IsSettled).met);
  const std::string moved = server_->blobs_dir() + ".moved";
  std::filesystem::rename(server_->blobs_dir(), moved);
  EXPECT_EQ(Record("GET", "/ready", client_->Get("/ready")).status, 503);
  std::filesystem::rename(moved, server_->blobs_dir());
  EXPECT_EQ(client_->Get("/ready").status, 200);

  const std::string doc_path = server_->root_dir() + "/openapi.json";
  const std::string samples_path = server_->root_dir() + "/samples.json";
  WriteFile(doc_path, client_->Get("/api/v1/openapi.json").body);
  WriteFile(samples_path, samples_.dump(2));
  const CommandResult run = RunCommand("'" INGESTD_NODE "' '" INGESTD_OPENAPI_CHECK "' '" +
                                       doc_path + "' '" + samples_path + "' 2>&1");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(" checked, 0 failed"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace ingestd::itest
