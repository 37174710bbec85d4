// The dashboard (src/api/dashboard) served by the real binary: its embedded files with their
// types, validators and Content-Security-Policy, over sockets; then dashboard.mjs drives it
// in Debian's Chromium (npm puppeteer-core): sign-in by the one-time #code= URL of `ingestd
// signin-code` (a second visit refused), a real PDF uploaded through the file input and
// followed to complete, its timeline, an API error with its code and correlation id, search
// and chunks, a cost chart with data points (embeddings billed by the fake OpenAI), an
// admin's mode switch, alerts and audit, phone width, no console error.
// Screenshots go to the build dir (INGESTD_DASHBOARD_SHOTS).
#include <gtest/gtest.h>

#include <ctime>

#include "core/jwt.h"
#include "fakes/fake_openai_server.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

class DashboardTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "local"},
            {"EMBED_MODE", "real"},
            {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
            {"OPENAI_BASE_URL", fake_.base_url()},
            {"INGESTD_BUDGET_DAILY_USD", "1"},
            {"INGESTD_BUDGET_EMBED_HOURLY_USD", "0.01"}};
  }

  fakes::FakeOpenAiServer fake_;
};

TEST_F(DashboardTest, ServesEmbeddedFilesWithTypesValidatorsAndPolicy) {
  for (auto [target, type] : {std::pair{"/", "text/html; charset=utf-8"},
                              {"/assets/app.js", "text/javascript; charset=utf-8"},
                              {"/assets/uplot.js", "text/javascript; charset=utf-8"},
                              {"/assets/uplot.css", "text/css; charset=utf-8"}}) {
    HttpResponse r = client_->Get(target);
    ASSERT_EQ(r.status, 200) << target << " " << r.Describe();
    EXPECT_EQ(r.Header("content-type"), type) << target;
    EXPECT_EQ(r.Header("cache-control"), "no-cache") << target;
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff") << target;
    EXPECT_NE(r.Header("content-security-policy").find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(r.Header("content-security-policy").find("unsafe-inline"), std::string::npos);
    const std::string etag = r.Header("etag");
    ASSERT_EQ(etag.size(), 34u) << target << " " << etag;

    HttpResponse again =
        client_->Send({.target = target, .headers = {{"If-None-Match", "\"other\", " + etag}}});
    EXPECT_EQ(again.status, 304) << target << " " << again.Describe();
    EXPECT_EQ(again.body, "") << target;
    EXPECT_EQ(client_->Send({.target = target, .headers = {{"If-None-Match", "\"other\""}}}).status,
              200);
  }
  EXPECT_NE(client_->Get("/").body.find("/assets/app.js"), std::string::npos);
  EXPECT_NE(client_->Get("/assets/uplot.js").body.find("uPlot"), std::string::npos);

  HttpResponse missing = client_->Get("/assets/no-such.js");
  EXPECT_EQ(missing.status, 404) << missing.Describe();
  EXPECT_EQ(missing.ErrorCode(), "ASSET_NOT_FOUND");
  EXPECT_EQ(missing.Json()["error"]["correlation_id"], missing.Header("x-correlation-id"));
}

TEST_F(DashboardTest, WorksInChromium) {
  const std::string admin =
      SignJwt({.sub = "ops", .role = "admin", .exp = std::time(nullptr) + 3600}, kTestJwtSecret);
  const std::string signin_url =
      SigninCode(*server_, "--user dev --url-base '" + server_->base_url() + "'");
  ASSERT_FALSE(signin_url.empty());
  const std::string cmd = std::string("INGESTD_URL='") + server_->base_url() + "' SIGNIN_URL='" +
                          signin_url + "' ADMIN_TOKEN='" + admin + "' PDF='" + kRFaqPdf +
                          "' OUT_DIR='" + INGESTD_DASHBOARD_SHOTS + "' '" INGESTD_NODE "' '" +
                          INGESTD_DASHBOARD_SCRIPT + "' 2>&1";
  const CommandResult run = RunCommand(cmd);
  std::cout << run.output;
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(" passed, 0 failed"), std::string::npos);
}

}  // namespace
}  // namespace ingestd::itest
