// Per-user upload limits over sockets: the per-minute and per-day buckets and the active-job
// cap, each refused with 429, its code and a Retry-After; nothing stored on refusal;
// duplicates cost no token; GET /api/v1/upload/limits for anonymous and authenticated
// callers. (Limits shared by several processes: tests/multiprocess/upload_limits_mp_test.)
#include <gtest/gtest.h>

#include <cstdlib>

#include "harness/db_inspector.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

// Distinct small "PDF" bytes: declares need no real document.
std::string Bytes(const std::string& tag) { return "%PDF-1.4\n% " + tag + "\n%%EOF\n"; }

int RetryAfter(const HttpResponse& r) { return std::atoi(r.Header("retry-after").c_str()); }

void ExpectRefused(const HttpResponse& r, const std::string& code, int min_s, int max_s) {
  EXPECT_EQ(r.status, 429) << r.Describe();
  EXPECT_EQ(r.ErrorCode(), code) << r.Describe();
  EXPECT_GE(RetryAfter(r), min_s) << r.Describe();
  EXPECT_LE(RetryAfter(r), max_s) << r.Describe();
}

class RateLimitTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_UPLOADS_PER_MINUTE", "2"}, {"INGESTD_WORKERS", "0"}};
  }
};

TEST_F(RateLimitTest, ThirdUploadInAMinuteIs429WithRetryAfterAndStoresNothing) {
  ASSERT_EQ(RequestUpload(*client_, token_, "a.pdf", Bytes("a")).status, 200);
  ASSERT_EQ(RequestUpload(*client_, token_, "b.pdf", Bytes("b")).status, 200);
  HttpResponse r = RequestUpload(*client_, token_, "c.pdf", Bytes("c"));
  // 2 per minute: a token every 30 s, counted from the first upload a moment ago.
  ExpectRefused(r, "UPLOAD_RATE_MINUTE_EXCEEDED", 28, 30);
  EXPECT_FALSE(r.Json()["error"].value("message", "").empty());
  DbInspector db(server_->db_path());
  ASSERT_TRUE(db.ok()) << db.error();
  EXPECT_EQ(db.Count("documents"), 2);
  EXPECT_EQ(db.Count("jobs"), 2);
  EXPECT_EQ(db.Count("events"), 2);
  // The one-shot upload draws from the same bucket, and leaves no bytes behind.
  r = UploadOneShot(*client_, token_, "d.pdf", TaggedPdf(kRFaqPdf, "d"));
  ExpectRefused(r, "UPLOAD_RATE_MINUTE_EXCEEDED", 28, 30);
  EXPECT_TRUE(StrayDataFiles(server_->data_dir()).empty())
      << Join(StrayDataFiles(server_->data_dir()));
  // Another user has a bucket of their own.
  EXPECT_EQ(RequestUpload(*client_, MakeToken("bob"), "c.pdf", Bytes("c")).status, 200);
}

TEST_F(RateLimitTest, ADuplicateCostsNoToken) {
  ASSERT_EQ(RequestUpload(*client_, token_, "a.pdf", Bytes("a")).status, 200);
  for (int i = 0; i < 3; ++i) {
    HttpResponse dup = RequestUpload(*client_, token_, "a.pdf", Bytes("a"));
    ASSERT_EQ(dup.status, 200) << dup.Describe();
    EXPECT_EQ(dup.Json()["duplicate"], true);
  }
  EXPECT_EQ(RequestUpload(*client_, token_, "b.pdf", Bytes("b")).status, 200);
  ExpectRefused(RequestUpload(*client_, token_, "c.pdf", Bytes("c")), "UPLOAD_RATE_MINUTE_EXCEEDED",
                28, 30);
}

TEST_F(RateLimitTest, LimitsEndpointShowsWhatTheCallerHasLeft) {
  HttpResponse anon = client_->Get("/api/v1/upload/limits");
  ASSERT_EQ(anon.status, 200) << anon.Describe();
  json a = anon.Json();
  EXPECT_EQ(a["allowed_mime_types"], json::array({"application/pdf"}));
  EXPECT_TRUE(a.contains("max_upload_bytes") && a.contains("upload_url_ttl_seconds"));
  EXPECT_EQ(a["uploads_per_minute"], 2);
  EXPECT_TRUE(a["uploads_per_day"].is_null());
  EXPECT_TRUE(a["max_active_jobs_per_user"].is_null());
  EXPECT_FALSE(a.contains("user"));

  HttpResponse fresh = client_->Get("/api/v1/upload/limits", token_);
  ASSERT_EQ(fresh.status, 200) << fresh.Describe();
  json u = fresh.Json()["user"];
  EXPECT_EQ(u["user_id"], "alice");
  EXPECT_EQ(u["uploads_per_minute"]["limit"], 2);
  EXPECT_EQ(u["uploads_per_minute"]["remaining"], 2);
  EXPECT_TRUE(u["uploads_per_day"].is_null());
  EXPECT_EQ(u["active_jobs"], json({{"count", 0}, {"limit", nullptr}, {"remaining", nullptr}}));

  ASSERT_EQ(RequestUpload(*client_, token_, "a.pdf", Bytes("a")).status, 200);
  u = client_->Get("/api/v1/upload/limits", token_).Json()["user"];
  EXPECT_EQ(u["uploads_per_minute"]["remaining"], 1);
  EXPECT_TRUE(IsRfc3339Utc(u["uploads_per_minute"].value("next_token_at", "")));
  EXPECT_TRUE(IsRfc3339Utc(u["uploads_per_minute"].value("full_at", "")));
  EXPECT_EQ(u["active_jobs"]["count"], 1);

  HttpResponse bad = client_->Get("/api/v1/upload/limits", MakeToken("alice", 3600, "wrong"));
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.ErrorCode(), "TOKEN_SIGNATURE");
}

class DayLimitTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_UPLOADS_PER_DAY", "1"}, {"INGESTD_WORKERS", "0"}};
  }
};

TEST_F(DayLimitTest, SecondUploadOfTheDayIs429UntilTomorrow) {
  ASSERT_EQ(RequestUpload(*client_, token_, "a.pdf", Bytes("a")).status, 200);
  ExpectRefused(RequestUpload(*client_, token_, "b.pdf", Bytes("b")), "UPLOAD_RATE_DAY_EXCEEDED",
                86'395, 86'400);
  json u = client_->Get("/api/v1/upload/limits", token_).Json()["user"];
  EXPECT_EQ(u["uploads_per_day"]["limit"], 1);
  EXPECT_EQ(u["uploads_per_day"]["remaining"], 0);
  EXPECT_TRUE(u["uploads_per_minute"].is_null());
}

class ActiveCapTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_MAX_ACTIVE_JOBS_PER_USER", "2"}};
  }
};

TEST_F(ActiveCapTest, ThirdActiveJobIs429UntilOneFinishesOrIsDeleted) {
  // Declared uploads wait for their bytes: active until then.
  HttpResponse first = RequestUpload(*client_, token_, "a.pdf", Bytes("a"));
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(RequestUpload(*client_, token_, "b.pdf", Bytes("b")).status, 200);
  HttpResponse r = RequestUpload(*client_, token_, "c.pdf", Bytes("c"));
  ExpectRefused(r, "ACTIVE_JOBS_LIMIT_EXCEEDED", 5, 5);
  DbInspector db(server_->db_path());
  ASSERT_TRUE(db.ok()) << db.error();
  EXPECT_EQ(db.Count("jobs"), 2);
  json u = client_->Get("/api/v1/upload/limits", token_).Json()["user"];
  EXPECT_EQ(u["active_jobs"], json({{"count", 2}, {"limit", 2}, {"remaining", 0}}));
  // At the cap a duplicate is still answered, and other users are not held back.
  HttpResponse dup = RequestUpload(*client_, token_, "a.pdf", Bytes("a"));
  EXPECT_EQ(dup.status, 200) << dup.Describe();
  EXPECT_EQ(RequestUpload(*client_, MakeToken("bob"), "c.pdf", Bytes("c")).status, 200);

  // A job that completes frees its place: send the first upload's bytes (a real PDF).
  const std::string pdf = TaggedPdf(kRFaqPdf, "cap");
  ASSERT_EQ(
      client_->Delete("/api/v1/documents/" + first.Json()["document_id"].get<std::string>(), token_)
          .status,
      204);
  HttpResponse real = UploadOneShot(*client_, token_, "real.pdf", pdf);
  ASSERT_EQ(real.status, 202) << real.Describe();
  ExpectRefused(RequestUpload(*client_, token_, "c.pdf", Bytes("c")), "ACTIVE_JOBS_LIMIT_EXCEEDED",
                5, 5);
  WaitResult done = WaitForJob(*client_, token_, real.Json()["job_id"], IsComplete);
  ASSERT_TRUE(done.met) << done.view.dump();
  EXPECT_EQ(RequestUpload(*client_, token_, "c.pdf", Bytes("c")).status, 200);
}

}  // namespace
}  // namespace ingestd::itest
