#include "services/openai_errors.h"

#include <gtest/gtest.h>

namespace ingestd::openai {
namespace {

http::HttpResponse Answer(long status, std::string code, http::Headers headers = {}) {
  http::HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = R"({"error":{"message":"m","type":"t","param":null,"code":")" + code + R"("}})";
  return r;
}

TEST(ClassifyResponse, ShouldRetryFalseMakesAnyErrorFinal) {
  for (long status : {429L, 500L, 503L, 409L}) {
    Status s = ClassifyResponse(Answer(status, "x", {{"x-should-retry", "false"}}), "");
    EXPECT_FALSE(s.ok()) << status;
    EXPECT_FALSE(s.retryable()) << status;
  }
  EXPECT_EQ(ClassifyResponse(Answer(503, "x", {{"x-should-retry", "false"}}), "").code(),
            "UPSTREAM_UNAVAILABLE");
  EXPECT_TRUE(ClassifyResponse(Answer(503, "x"), "").retryable());
}

TEST(ClassifyResponse, ShouldRetryTrueRetriesA4xxButNeverAuthOrQuota) {
  Status bad = ClassifyResponse(Answer(400, "invalid", {{"x-should-retry", "true"}}), "");
  EXPECT_TRUE(bad.retryable());
  EXPECT_EQ(bad.code(), "UPSTREAM_UNAVAILABLE");
  EXPECT_FALSE(ClassifyResponse(Answer(400, "invalid"), "").retryable());
  EXPECT_EQ(
      ClassifyResponse(Answer(401, "invalid_api_key", {{"x-should-retry", "true"}}), "").code(),
      "UPSTREAM_AUTH");
  Status quota =
      ClassifyResponse(Answer(429, "insufficient_quota", {{"x-should-retry", "true"}}), "");
  EXPECT_EQ(quota.kind(), Kind::kBudgetExceeded);
  EXPECT_FALSE(quota.retryable());
}

}  // namespace
}  // namespace ingestd::openai
