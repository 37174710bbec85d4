// Authentication (bearer JWTs) and per-user scoping: another user's job or document does
// not exist for you (404), whatever the verb; routing errors have their own codes.
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/crypto.h"
#include "core/ids.h"
#include "harness/db_inspector.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

class AuthTest : public ServerTest {};

const std::vector<std::pair<std::string, std::string>> kProtected = {
    {"GET", "/api/v1/jobs"},
    {"POST", "/api/v1/upload"},
    {"POST", "/api/v1/documents"},
    {"GET", "/api/v1/jobs/00000000-0000-4000-8000-000000000000"},
    {"GET", "/api/v1/documents/00000000-0000-4000-8000-000000000000"},
};

TEST_F(AuthTest, MissingBadAndExpiredTokensAre401) {
  struct Case {
    std::string what;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string code;
  };
  std::string forged = MakeToken("alice", 3600, "some-other-secret");
  std::vector<Case> cases = {
      {"missing", {}, "TOKEN_MISSING"},
      {"garbage", {{"Authorization", "Bearer not.a.jwt"}}, "TOKEN_MALFORMED"},
      {"one segment", {{"Authorization", "Bearer abc"}}, "TOKEN_MALFORMED"},
      {"wrong secret", {{"Authorization", "Bearer " + forged}}, "TOKEN_SIGNATURE"},
      {"expired", {{"Authorization", "Bearer " + MakeToken("alice", -10)}}, "TOKEN_EXPIRED"},
  };
  for (auto& [method, target] : kProtected) {
    for (auto& c : cases) {
      HttpResponse r = client_->Send({.method = method, .target = target, .headers = c.headers});
      EXPECT_EQ(r.status, 401) << method << " " << target << " " << c.what << ": " << r.Describe();
      EXPECT_EQ(r.ErrorCode(), c.code) << method << " " << target << " " << c.what;
      EXPECT_FALSE(r.Header("x-correlation-id").empty());
    }
  }
  // A non-Bearer scheme is no credential.
  HttpResponse basic =
      client_->Send({.target = "/api/v1/jobs", .headers = {{"Authorization", "Basic YTpi"}}});
  EXPECT_EQ(basic.status, 401) << basic.Describe();
}

TEST_F(AuthTest, TokenFromTheCliIsAccepted) {
  // `ingestd token` resolves the secret like the server does (INGESTD_JWT_SECRET here).
  std::string cmd = "INGESTD_JWT_SECRET='" + std::string(kTestJwtSecret) + "' INGESTD_DATA_DIR='" +
                    server_->data_dir() + "' '" + ServerProcess::BinaryPath() +
                    "' token --user carol 2>/dev/null";
  CommandResult run = RunCommand(cmd);
  std::string& out = run.output;
  ASSERT_EQ(run.exit_code, 0) << out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  ASSERT_EQ(std::count(out.begin(), out.end(), '.'), 2) << "not a JWT: " << out;
  HttpResponse r = client_->Get("/api/v1/jobs", out);
  EXPECT_EQ(r.status, 200) << r.Describe();
}

TEST_F(AuthTest, AnotherUsersJobAndDocumentAre404ForEveryVerb) {
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", ReadFile(kRFaqPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  std::string job_id = up.Json()["job_id"], doc_id = up.Json()["document_id"];
  ASSERT_TRUE(WaitForJob(*client_, token_, job_id, IsComplete).met);

  std::string bob = MakeToken("bob");
  struct Case {
    std::string method, target, code;
  };
  std::vector<Case> cases = {
      {"GET", "/api/v1/jobs/" + job_id, "JOB_NOT_FOUND"},
      {"GET", "/api/v1/jobs/" + job_id + "/events", "JOB_NOT_FOUND"},
      {"POST", "/api/v1/jobs/" + job_id + "/retry", "JOB_NOT_FOUND"},
      {"GET", "/api/v1/documents/" + doc_id, "DOCUMENT_NOT_FOUND"},
      {"GET", "/api/v1/documents/" + doc_id + "/chunks", "DOCUMENT_NOT_FOUND"},
      {"DELETE", "/api/v1/documents/" + doc_id, "DOCUMENT_NOT_FOUND"},
  };
  for (auto& c : cases) {
    HttpResponse r = client_->Send({.method = c.method, .target = c.target, .bearer = bob});
    EXPECT_EQ(r.status, 404) << c.method << " " << c.target << ": " << r.Describe();
    EXPECT_EQ(r.ErrorCode(), c.code) << c.method << " " << c.target;
    // A never-existing id looks exactly the same.
    std::string unknown = c.target;
    unknown.replace(unknown.find(c.code == "JOB_NOT_FOUND" ? job_id : doc_id), 36, NewUuidV4());
    HttpResponse u = client_->Send({.method = c.method, .target = unknown, .bearer = token_});
    EXPECT_EQ(u.status, 404) << c.method << " " << unknown << ": " << u.Describe();
    EXPECT_EQ(u.ErrorCode(), c.code) << c.method << " " << unknown;
  }
  EXPECT_TRUE(client_->Get("/api/v1/jobs", bob).Json()["jobs"].empty());
  EXPECT_EQ(client_->Get("/api/v1/jobs/not-a-uuid", token_).status, 404);

  // Bob's attempts changed nothing for Alice.
  HttpResponse doc = client_->Get("/api/v1/documents/" + doc_id, token_);
  ASSERT_EQ(doc.status, 200) << doc.Describe();
  EXPECT_GT(doc.Json().value("chunk_count", 0), 0);
  auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "RETRY_REQUESTED"), 0) << Join(codes);
}

TEST_F(AuthTest, UnknownRoutesAndWrongMethodsHaveTheirCodes) {
  HttpResponse r = client_->Get("/api/v1/nothing-here", token_);
  EXPECT_EQ(r.status, 404) << r.Describe();
  EXPECT_EQ(r.ErrorCode(), "ROUTE_NOT_FOUND");
  struct Case {
    std::string method, target;
  };
  for (const Case& c : std::vector<Case>{{"DELETE", "/api/v1/upload/limits"},
                                         {"PUT", "/api/v1/jobs"},
                                         {"GET", "/api/v1/upload"},
                                         {"POST", "/health"}}) {
    HttpResponse m = client_->Send({.method = c.method, .target = c.target, .bearer = token_});
    EXPECT_EQ(m.status, 405) << c.method << " " << c.target << ": " << m.Describe();
    EXPECT_EQ(m.ErrorCode(), "METHOD_NOT_ALLOWED") << c.method << " " << c.target;
  }
}

TEST_F(AuthTest, HealthReadyAndDashboardNeedNoToken) {
  HttpResponse health = client_->Get("/health");
  ASSERT_EQ(health.status, 200) << health.Describe();
  EXPECT_EQ(health.Json()["status"], "ok");
  HttpResponse ready = client_->Get("/ready");
  ASSERT_EQ(ready.status, 200) << ready.Describe();
  EXPECT_EQ(ready.Json(), json({{"status", "ready"}, {"store", "ok"}, {"blobs", "ok"}}));
  HttpResponse dash = client_->Get("/");
  ASSERT_EQ(dash.status, 200) << dash.Describe();
  EXPECT_NE(dash.Header("content-type").find("text/html"), std::string::npos);
}

}  // namespace
}  // namespace ingestd::itest
