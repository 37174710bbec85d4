// GET /api/v1/services/health and GET /api/v1/costs on a running `ingestd serve` with
// budgets configured (mock services: free, so nothing is reserved or spent).
#include <gtest/gtest.h>

#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

class CostsApiTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_BUDGET_DAILY_USD", "5"}, {"INGESTD_BUDGET_EMBED_HOURLY_REQUESTS", "100"}};
  }
};

TEST_F(CostsApiTest, ServicesHealthShowsModeImplementationAndBreaker) {
  HttpResponse r = client_->Get("/api/v1/services/health");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = r.Json();
  EXPECT_EQ(body["budgets_enforced"], true);
  ASSERT_EQ(body["services"].size(), 2u);
  for (const json& s : body["services"]) {
    EXPECT_EQ(s["mode"], "mock");
    EXPECT_EQ(s["implementation"], "mock");
    EXPECT_EQ(s["breaker"]["state"], "closed");
  }
  EXPECT_EQ(body["services"][0]["service"], "parse");
  EXPECT_EQ(body["services"][1]["service"], "embed");
}

TEST_F(CostsApiTest, CostsShowLimitsAndRemainingAndRejectBadQueries) {
  EXPECT_EQ(client_->Get("/api/v1/costs").status, 401);
  HttpResponse r = client_->Get("/api/v1/costs?group_by=day", token_);
  ASSERT_EQ(r.status, 200) << r.body;
  json body = r.Json();
  EXPECT_EQ(body["group_by"], "day");
  EXPECT_TRUE(IsRfc3339Utc(body["from"])) << body["from"];
  bool total = false, requests = false;
  for (const json& w : body["limits"]) {
    if (w["scope"] == "total" && w["metric"] == "usd" && w["window"] == "day") {
      total = true;
      EXPECT_DOUBLE_EQ(w["limit"].get<double>(), 5.0);
      EXPECT_DOUBLE_EQ(w["remaining"].get<double>(), 5.0);
    }
    if (w["scope"] == "embed" && w["metric"] == "requests") {
      requests = true;
      EXPECT_EQ(w["limit"], 100);
    }
  }
  EXPECT_TRUE(total && requests) << body.dump();

  HttpResponse bad_group = client_->Get("/api/v1/costs?group_by=week", token_);
  EXPECT_EQ(bad_group.status, 400);
  EXPECT_EQ(bad_group.ErrorCode(), "GROUP_BY_INVALID");
  HttpResponse bad_from = client_->Get("/api/v1/costs?from=yesterday", token_);
  EXPECT_EQ(bad_from.status, 400);
  EXPECT_EQ(bad_from.ErrorCode(), "COST_QUERY_INVALID");
}

TEST_F(CostsApiTest, MockJobsCompleteWithoutReservingOrSpending) {
  HttpResponse up = UploadOneShot(*client_, token_, "a.pdf", ReadFile(kRFaqPdf));
  ASSERT_EQ(up.status, 202) << up.body;
  WaitResult done = WaitForJob(*client_, token_, up.Json()["job_id"], IsComplete);
  ASSERT_TRUE(done.met) << done.view.dump();
  json costs = client_->Get("/api/v1/costs", token_).Json();
  EXPECT_TRUE(costs["rows"].empty()) << costs.dump();
  EXPECT_EQ(costs["open_reservations"], 0);
  EXPECT_DOUBLE_EQ(costs["total_usd"].get<double>(), 0.0);
}

}  // namespace
}  // namespace ingestd::itest
