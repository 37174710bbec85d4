#include "core/jwt.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

namespace ingestd {

constexpr int64_t kNow = 1'800'000'000;

TEST(Jwt, SignedTokenVerifies) {
  auto token = SignJwt({.sub = "alice", .role = "admin", .exp = kNow + 60}, "s3cret");
  auto claims = VerifyJwt(token, "s3cret", kNow);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ(claims->sub, "alice");
  EXPECT_EQ(claims->role, "admin");
}

TEST(Jwt, RejectsWrongSecretExpiredAndMalformed) {
  auto token = SignJwt({.sub = "alice", .exp = kNow + 60}, "s3cret");
  EXPECT_EQ(VerifyJwt(token, "other", kNow).status().code(), "TOKEN_SIGNATURE");
  EXPECT_EQ(VerifyJwt(token, "s3cret", kNow + 60).status().code(), "TOKEN_EXPIRED");
  EXPECT_EQ(VerifyJwt("abc", "s3cret", kNow).status().code(), "TOKEN_MALFORMED");
  EXPECT_EQ(VerifyJwt("a.b.c.d", "s3cret", kNow).status().code(), "TOKEN_MALFORMED");
  EXPECT_EQ(VerifyJwt(token, "s3cret", kNow).status().kind(), Kind::kOk);
}

TEST(Jwt, RejectsAlgNone) {
  std::string header = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})");
  std::string payload = Base64UrlEncode(R"({"sub":"alice","exp":9999999999})");
  auto r = VerifyJwt(header + "." + payload + ".", "s3cret", kNow);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), Kind::kUnauthenticated);
}

TEST(Jwt, RejectsTamperedPayload) {
  auto token = SignJwt({.sub = "alice", .exp = kNow + 60}, "s3cret");
  std::string forged_payload = Base64UrlEncode(R"({"sub":"mallory","exp":9999999999})");
  size_t d1 = token.find('.'), d2 = token.rfind('.');
  std::string forged = token.substr(0, d1 + 1) + forged_payload + token.substr(d2);
  EXPECT_EQ(VerifyJwt(forged, "s3cret", kNow).status().code(), "TOKEN_SIGNATURE");
}

TEST(Jwt, RequiresSubject) {
  auto token = SignJwt({.sub = "", .exp = kNow + 60}, "s3cret");
  EXPECT_EQ(VerifyJwt(token, "s3cret", kNow).status().code(), "TOKEN_CLAIMS");
}

}  // namespace ingestd
