#include "audit/audit_query.h"

#include <gtest/gtest.h>

namespace ingestd {
namespace {

constexpr int64_t kNow = 1'764'300'000'000;

TEST(AuditQueryTest, DefaultsCoverAllHistoryUpToNow) {
  auto q = MakeAuditQuery({}, kNow);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->from_ms, 0);
  EXPECT_EQ(q->to_ms, kNow + 1);
  EXPECT_EQ(q->outcome, AuditQuery::Outcome::kAny);
  EXPECT_FALSE(q->http_status.has_value());
}

TEST(AuditQueryTest, ReadsEveryFilter) {
  auto q = MakeAuditQuery({{"from", "2026-11-28"},
                           {"to", "2026-11-29T00:00:00Z"},
                           {"service", "embed"},
                           {"job_id", "j"},
                           {"user_id", "u"},
                           {"key_id", "k"},
                           {"status", "401"}},
                          kNow);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->from_ms, 1'795'824'000'000);
  EXPECT_EQ(q->to_ms, 1'795'910'400'000);
  EXPECT_EQ(q->service, "embed");
  EXPECT_EQ(q->job_id, "j");
  EXPECT_EQ(q->user_id, "u");
  EXPECT_EQ(q->key_id, "k");
  EXPECT_EQ(q->http_status, 401);
  EXPECT_EQ(MakeAuditQuery({{"status", "error"}}, kNow)->outcome, AuditQuery::Outcome::kError);
  EXPECT_EQ(MakeAuditQuery({{"status", "ok"}}, kNow)->outcome, AuditQuery::Outcome::kOk);
}

TEST(AuditQueryTest, RejectsMalformedValues) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"from", "yesterday"}, {"status", "40x"}, {"status", "1000"}, {"service", "ocr"}}) {
    auto q = MakeAuditQuery({{name, value}}, kNow);
    ASSERT_FALSE(q.ok()) << name << "=" << value;
    EXPECT_EQ(q.status().code(), "AUDIT_QUERY_INVALID");
  }
  EXPECT_FALSE(MakeAuditQuery({{"from", "2000"}, {"to", "1000"}}, kNow).ok());
}

TEST(AuditQueryTest, JsonCarriesIdsNotSecretsAndTotals) {
  AuditPage page;
  AuditRecord r;
  r.at_ms = 0;
  r.key_id = "k1";
  r.cost_nanos = 1'500'000'000;
  r.http_status = 200;
  page.records.push_back(r);
  page.totals = {1, 10, 0, 1'500'000'000};
  const auto j = AuditPageJson(AuditQuery{}, page);
  EXPECT_EQ(j["entries"][0]["key_id"], "k1");
  EXPECT_EQ(j["entries"][0]["at"], "1970-01-01T00:00:00.000Z");
  EXPECT_TRUE(j["entries"][0]["error_code"].is_null());
  EXPECT_DOUBLE_EQ(j["totals"]["cost_usd"].get<double>(), 1.5);
  EXPECT_EQ(j["limit"], 50);
}

}  // namespace
}  // namespace ingestd
