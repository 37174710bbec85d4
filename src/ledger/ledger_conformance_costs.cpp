// Ledger conformance: cost reports grouped by service, user, job, hour and day.
#include "ledger/ledger_conformance.h"
#include "ledger/windows.h"

namespace ingestd {

namespace {

void Spend(Ledger& ledger, const std::string& service, const std::string& user,
           const std::string& job, int64_t cost) {
  ReserveRequest req{service, cost, user, job, "corr"};
  auto r = ledger.Reserve(req);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(ledger.Settle(r->id, Usage{cost, 100, "tokens", "m", false}).ok());
}

}  // namespace

TEST_P(LedgerConformanceTest, CostsGroupByServiceUserAndHour) {
  auto ledger = Open(LedgerOptions{});
  ASSERT_NE(ledger, nullptr);
  auto spend = [&](const std::string& service, const std::string& user, int64_t cost) {
    Spend(*ledger, service, user, "job-1", cost);
  };
  const int64_t start = clock_.NowMillis();
  spend("embed", "u1", 10);
  spend("parse", "u2", 1000);
  clock_.Advance(kHourMs);
  spend("embed", "u2", 5);
  ASSERT_TRUE(ledger->Reserve(Request(7)).ok());  // open

  auto by_service = ledger->Costs(Query(start, clock_.NowMillis() + 1, "service"));
  ASSERT_TRUE(by_service.ok());
  ASSERT_EQ(by_service->rows.size(), 2u);
  EXPECT_EQ(by_service->rows[0].group, "embed");
  EXPECT_EQ(by_service->rows[0].cost_nanos, 15);
  EXPECT_EQ(by_service->rows[0].calls, 2);
  EXPECT_EQ(by_service->rows[0].units, 200);
  EXPECT_EQ(by_service->rows[1].cost_nanos, 1000);
  EXPECT_EQ(by_service->open_reservations, 1);
  EXPECT_EQ(by_service->open_reserved_nanos, 7);

  auto by_user = ledger->Costs(Query(start, clock_.NowMillis() + 1, "user"));
  ASSERT_TRUE(by_user.ok());
  ASSERT_EQ(by_user->rows.size(), 2u);
  EXPECT_EQ(by_user->rows[1].group, "u2");
  EXPECT_EQ(by_user->rows[1].cost_nanos, 1005);

  auto by_hour = ledger->Costs(Query(start, clock_.NowMillis() + 1, "hour"));
  ASSERT_TRUE(by_hour.ok());
  ASSERT_EQ(by_hour->rows.size(), 2u);
  EXPECT_EQ(by_hour->rows[0].group, FormatRfc3339(WindowStart(start, kHourMs)));
  EXPECT_EQ(by_hour->rows[0].cost_nanos, 1010);

  auto u1 = ledger->Costs(Query(start, clock_.NowMillis() + 1, "service", "u1"));
  ASSERT_TRUE(u1.ok());
  ASSERT_EQ(u1->rows.size(), 1u);
  EXPECT_EQ(u1->rows[0].cost_nanos, 10);

  CostQuery embed_hours = Query(start, clock_.NowMillis() + 1, "hour");
  embed_hours.service = "embed";
  auto embed_by_hour = ledger->Costs(embed_hours);
  ASSERT_TRUE(embed_by_hour.ok());
  ASSERT_EQ(embed_by_hour->rows.size(), 2u);
  EXPECT_EQ(embed_by_hour->rows[0].cost_nanos, 10);
  EXPECT_EQ(embed_by_hour->rows[1].cost_nanos, 5);

  auto later_only = ledger->Costs(Query(start + kHourMs, clock_.NowMillis() + 1, "service"));
  ASSERT_TRUE(later_only.ok());
  ASSERT_EQ(later_only->rows.size(), 1u);
  EXPECT_EQ(ledger->Costs(Query(0, 1, "week")).status().code(), "GROUP_BY_INVALID");
}

TEST_P(LedgerConformanceTest, CostsGroupByJobAndDay) {
  auto ledger = Open(LedgerOptions{});
  ASSERT_NE(ledger, nullptr);
  const int64_t day1 = WindowStart(clock_.NowMillis(), kDayMs);
  Spend(*ledger, "embed", "u1", "job-b", 20);
  Spend(*ledger, "parse", "u1", "job-a", 300);
  clock_.Set(day1 + kDayMs + 5);  // the next UTC day
  Spend(*ledger, "embed", "u2", "job-b", 4);

  auto by_job = ledger->Costs(Query(day1, clock_.NowMillis() + 1, "job"));
  ASSERT_TRUE(by_job.ok());
  ASSERT_EQ(by_job->rows.size(), 2u);
  EXPECT_EQ(by_job->rows[0].group, "job-a");
  EXPECT_EQ(by_job->rows[0].cost_nanos, 300);
  EXPECT_EQ(by_job->rows[1].group, "job-b");
  EXPECT_EQ(by_job->rows[1].cost_nanos, 24);
  EXPECT_EQ(by_job->rows[1].calls, 2);
  EXPECT_EQ(by_job->open_reservations, 0);

  auto by_day = ledger->Costs(Query(day1, clock_.NowMillis() + 1, "day"));
  ASSERT_TRUE(by_day.ok());
  ASSERT_EQ(by_day->rows.size(), 2u);
  EXPECT_EQ(by_day->rows[0].group, FormatRfc3339(day1));
  EXPECT_EQ(by_day->rows[0].cost_nanos, 320);
  EXPECT_EQ(by_day->rows[1].group, FormatRfc3339(day1 + kDayMs));
  EXPECT_EQ(by_day->rows[1].cost_nanos, 4);

  auto u2_day = ledger->Costs(Query(day1, clock_.NowMillis() + 1, "day", "u2"));
  ASSERT_TRUE(u2_day.ok());
  ASSERT_EQ(u2_day->rows.size(), 1u);
  EXPECT_EQ(u2_day->rows[0].cost_nanos, 4);
}

}  // namespace ingestd
