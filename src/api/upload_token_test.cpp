#include "api/upload_token.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

namespace ingestd::api {
namespace {

const UploadGrant kGrant{"0b4c5a9e-8f1d-4c7e-9a51-3c2d1e0f9a8b",
                         "1c5d6b0f-9a2e-4d8f-8b62-4d3e2f1a0b9c", 123456,
                         std::string(64, 'a'), 2'000'000'000};

TEST(UploadToken, RoundTrips) {
  auto g = VerifyUploadToken(SignUploadToken(kGrant, "secret"), "secret", 1'900'000'000);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->job_id, kGrant.job_id);
  EXPECT_EQ(g->document_id, kGrant.document_id);
  EXPECT_EQ(g->size_bytes, kGrant.size_bytes);
  EXPECT_EQ(g->sha256, kGrant.sha256);
  EXPECT_EQ(g->expires_at_s, kGrant.expires_at_s);
}

TEST(UploadToken, ExpiresAtItsExpiry) {
  auto token = SignUploadToken(kGrant, "secret");
  EXPECT_EQ(VerifyUploadToken(token, "secret", kGrant.expires_at_s).status().code(),
            "UPLOAD_TOKEN_EXPIRED");
  EXPECT_EQ(VerifyUploadToken(token, "secret", kGrant.expires_at_s).status().kind(),
            Kind::kPermissionDenied);
}

TEST(UploadToken, ForgeriesAreInvalid) {
  auto token = SignUploadToken(kGrant, "secret");
  EXPECT_EQ(VerifyUploadToken(token, "other", 0).status().code(), "UPLOAD_TOKEN_INVALID");
  // A larger size or later expiry under the same MAC does not verify.
  UploadGrant bigger = kGrant;
  bigger.size_bytes = 999999999;
  std::string forged = SignUploadToken(bigger, "secret");
  forged = forged.substr(0, forged.find('.')) + token.substr(token.find('.'));
  EXPECT_EQ(VerifyUploadToken(forged, "secret", 0).status().code(), "UPLOAD_TOKEN_INVALID");
  EXPECT_EQ(VerifyUploadToken("garbage", "secret", 0).status().code(), "UPLOAD_TOKEN_INVALID");
  EXPECT_EQ(VerifyUploadToken("a.b", "secret", 0).status().code(), "UPLOAD_TOKEN_INVALID");
  // A correctly signed payload with the wrong shape is still refused.
  std::string payload = "u1|not-a-uuid|x|1|y|2";
  std::string odd = Base64UrlEncode(payload) + "." + Base64UrlEncode(HmacSha256("secret", payload));
  EXPECT_EQ(VerifyUploadToken(odd, "secret", 0).status().code(), "UPLOAD_TOKEN_INVALID");
}

}  // namespace
}  // namespace ingestd::api
