// The one-time sign-in URL `make run` prints (issue 14): `ingestd signin-code` stores a code
// in the database of a running `ingestd serve`; POST /api/v1/auth/signin trades it, once,
// for a session token that works on authenticated routes; a used, expired or unknown code is
// the same 401 SIGNIN_CODE_INVALID; a bad body is 400; the code never reaches the log.
#include <gtest/gtest.h>

#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

class SigninTest : public ServerTest {
 protected:
  HttpResponse Signin(const std::string& code) {
    return client_->PostJson("/api/v1/auth/signin", {{"code", code}});
  }
};

TEST_F(SigninTest, ACodeSignsInOnceWithATokenThatWorks) {
  const std::string url =
      SigninCode(*server_, "--user dev --role admin --url-base " + server_->base_url() + "/");
  const std::string prefix = server_->base_url() + "/#code=";
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
  const std::string code = url.substr(prefix.size());
  EXPECT_EQ(code.size(), 43u) << "256 bits, base64url: " << code;

  HttpResponse first = Signin(code);
  ASSERT_EQ(first.status, 200) << first.Describe();
  const json body = first.Json();
  EXPECT_EQ(body["user_id"], "dev");
  EXPECT_EQ(body["role"], "admin");
  EXPECT_TRUE(body["expires_at"].is_string());
  const std::string token = body.value("token", "");
  HttpResponse jobs = client_->Get("/api/v1/jobs", token);
  EXPECT_EQ(jobs.status, 200) << jobs.Describe();
  HttpResponse audit = client_->Get("/api/v1/audit", token);  // admin only
  EXPECT_EQ(audit.status, 200) << audit.Describe();

  HttpResponse again = Signin(code);
  EXPECT_EQ(again.status, 401) << again.Describe();
  EXPECT_EQ(again.ErrorCode(), "SIGNIN_CODE_INVALID");
  EXPECT_EQ(again.Json()["error"]["correlation_id"], again.Header("x-correlation-id"));

  const std::string log = ReadFile(server_->stderr_path());
  EXPECT_EQ(log.find(code), std::string::npos) << "the code reached the log";
  EXPECT_NE(log.find("signed in with a one-time code"), std::string::npos);
}

TEST_F(SigninTest, UsedExpiredAndUnknownCodesGetTheSameAnswer) {
  const std::string used = SigninCode(*server_, "--user dev");
  ASSERT_FALSE(used.empty());
  ASSERT_EQ(Signin(used).status, 200);
  // 1 ms to live: expired by the time the command has exited.
  const std::string expired = SigninCode(*server_, "--user dev --ttl-ms 1");
  ASSERT_FALSE(expired.empty());
  std::string message;
  for (const std::string& code : {used, expired, std::string(43, 'A'), std::string()}) {
    HttpResponse r = Signin(code);
    EXPECT_EQ(r.status, 401) << r.Describe();
    EXPECT_EQ(r.ErrorCode(), "SIGNIN_CODE_INVALID");
    const std::string m = r.Json()["error"].value("message", "");
    if (message.empty()) message = m;
    EXPECT_EQ(m, message) << "the answer tells codes apart";
  }
  // The user's role is what the code was made with.
  const std::string user_code = SigninCode(*server_, "--user carol");
  HttpResponse user = Signin(user_code);
  ASSERT_EQ(user.status, 200) << user.Describe();
  EXPECT_EQ(user.Json()["role"], "user");
  EXPECT_EQ(client_->Get("/api/v1/audit", user.Json().value("token", "")).ErrorCode(),
            "ADMIN_REQUIRED");
}

TEST_F(SigninTest, ABadBodyIs400AndABadCommandLineIsRefused) {
  struct Case {
    std::string body, code;
  };
  for (const Case& c :
       {Case{"not json", "INVALID_JSON"}, Case{"[1]", "INVALID_JSON"}, Case{"{}", "MISSING_FIELD"},
        Case{R"({"code":null})", "MISSING_FIELD"}, Case{R"({"code":7})", "INVALID_FIELD"}}) {
    HttpResponse r = client_->Send({.method = "POST",
                                    .target = "/api/v1/auth/signin",
                                    .headers = {{"Content-Type", "application/json"}},
                                    .body = c.body});
    EXPECT_EQ(r.status, 400) << c.body << " " << r.Describe();
    EXPECT_EQ(r.ErrorCode(), c.code) << c.body;
  }
  EXPECT_EQ(SigninCode(*server_, "--role admin"), "");            // no user
  EXPECT_EQ(SigninCode(*server_, "--user dev --role root"), "");  // no such role
  EXPECT_EQ(SigninCode(*server_, "--user dev --ttl-ms 0"), "");   // no lifetime
}

}  // namespace
}  // namespace ingestd::itest
