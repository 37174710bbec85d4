#include "core/jwt.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

#include <nlohmann/json.hpp>

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

// A token whose header and payload are the given JSON texts, signed with "s3cret".
std::string TokenOf(const std::string& header, const std::string& payload) {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return input + "." + Base64UrlEncode(HmacSha256("s3cret", input));
}

// Values of every JSON type but string (the type each named field must have).
const char* const kNonStrings[] = {"null", "true",        "1",  "-1",       "1.5",
                                   "[]",   "[\"HS256\"]", "{}", "{\"a\":1}"};

TEST(Jwt, AnyWrongTypeInAHeaderFieldIsMalformed) {
  const std::string payload = R"({"sub":"alice","exp":9999999999})";
  for (const char* field : {"alg", "typ", "kid"}) {
    for (const char* value : kNonStrings) {
      auto header = nlohmann::json::parse(R"({"alg":"HS256","typ":"JWT"})");
      header[field] = nlohmann::json::parse(value);
      auto r = VerifyJwt(TokenOf(header.dump(), payload), "s3cret", kNow);
      EXPECT_EQ(r.status().code(), "TOKEN_MALFORMED") << field << "=" << value;
      EXPECT_EQ(r.status().kind(), Kind::kUnauthenticated);
    }
  }
}

TEST(Jwt, AnyWrongTypeInAPayloadFieldIsMalformed) {
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  for (const char* field : {"sub", "role"}) {
    for (const char* value : kNonStrings) {
      auto payload = nlohmann::json::parse(R"({"sub":"alice","role":"user","exp":9999999999})");
      payload[field] = nlohmann::json::parse(value);
      auto r = VerifyJwt(TokenOf(header, payload.dump()), "s3cret", kNow);
      EXPECT_EQ(r.status().code(), "TOKEN_MALFORMED") << field << "=" << value;
    }
  }
  // exp: anything but a number that fits int64 seconds (a float cast out of range is UB).
  for (const char* value : {"null", "true", "\"9999999999\"", "[]", "{}", "1e300", "-1e300",
                            "18446744073709551615", "9223372036854775808"}) {
    auto payload = nlohmann::json::parse(R"({"sub":"alice"})");
    payload["exp"] = nlohmann::json::parse(value);
    auto r = VerifyJwt(TokenOf(header, payload.dump()), "s3cret", kNow);
    EXPECT_EQ(r.status().code(), "TOKEN_MALFORMED") << "exp=" << value;
  }
}

TEST(Jwt, NonObjectPartsAreMalformed) {
  const std::string object_header = R"({"alg":"HS256"})";
  const std::string object_payload = R"({"sub":"alice","exp":9999999999})";
  for (const char* part : {"\"HS256\"", "1", "1.5", "null", "true", "[]", "[{\"alg\":\"HS256\"}]",
                           "", "{", "{\"alg\":"}) {
    EXPECT_EQ(VerifyJwt(TokenOf(part, object_payload), "s3cret", kNow).status().code(),
              "TOKEN_MALFORMED")
        << "header " << part;
    EXPECT_EQ(VerifyJwt(TokenOf(object_header, part), "s3cret", kNow).status().code(),
              "TOKEN_MALFORMED")
        << "payload " << part;
  }
}

TEST(Jwt, UnsignedWrongTypedHeaderIsMalformed) {
  // The reproduced crash: anyone could send this without knowing the secret.
  std::string token =
      Base64UrlEncode(R"({"alg":1})") + "." + Base64UrlEncode(R"({"sub":"x","exp":1})") + ".c2ln";
  EXPECT_EQ(VerifyJwt(token, "s3cret", kNow).status().code(), "TOKEN_MALFORMED");
}

TEST(Jwt, NumericDateMayBeFractionalOrMissing) {
  const std::string header = R"({"alg":"HS256"})";
  auto ok = VerifyJwt(TokenOf(header, R"({"sub":"alice","exp":1900000000.5})"), "s3cret", kNow);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->exp, 1900000000);
  EXPECT_EQ(VerifyJwt(TokenOf(header, R"({"sub":"alice"})"), "s3cret", kNow).status().code(),
            "TOKEN_CLAIMS");
}

}  // namespace ingestd
