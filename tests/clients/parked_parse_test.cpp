// A LlamaParse parse holds no worker while the provider works (issue 12 §4): `ingestd serve`
// with 2 workers in PARSE_MODE=real against the fake, whose jobs take 5 s each. The parse
// stage submits, records the provider job and parks the job (parse_submitted, retry_at the
// next poll; no claim held), so all 20 documents are at the provider at once, each with its
// ledger reservation open; each completes from the polls and settles from its result's pages.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "harness/test_support.h"
#include "tests/fakes/fake_llamaparse_server.h"

namespace ingestd::itest {
namespace {

constexpr int kDocs = 20;
constexpr int64_t kProcessingMs = 5'000;

class ParkedParseTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "real"},
            {"INGESTD_WORKERS", "2"},
            // These tests count the provider's requests; probes are tested on their own.
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"LLAMAPARSE_API_KEY", "llx-fake-0123456789abcdef"},
            {"LLAMAPARSE_BASE_URL", llamaparse_.base_url()}};
  }
  fakes::FakeLlamaParseServer llamaparse_{{.complete_after_ms = kProcessingMs}};
};

TEST_F(ParkedParseTest, TwentyParsesAreInFlightAtOnceOnTwoWorkers) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> jobs;
  for (int i = 0; i < kDocs; ++i) {
    HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf",
                                    TaggedPdf(kRFaqPdf, "park-" + std::to_string(i)));
    ASSERT_EQ(up.status, 202) << up.Describe();
    jobs.push_back(up.Json()["job_id"]);
  }
  // Every job reaches the provider while the first is still processing: with a worker
  // held per parse, at most 2 would be.
  for (int i = 0; i < 400 && llamaparse_.uploads_accepted() < kDocs; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(llamaparse_.max_in_flight(), kDocs);
  // Parked jobs keep their reservations open (checked while none has finished yet).
  HttpResponse costs = client_->Send({.target = "/api/v1/costs", .bearer = token_});
  ASSERT_EQ(costs.status, 200) << costs.Describe();
  if (!llamaparse_.jobs().front().finished) {
    EXPECT_EQ(costs.Json()["open_reservations"], kDocs) << costs.body;
  }

  for (const std::string& id : jobs) {
    WaitResult done = WaitForJob(*client_, token_, id, IsComplete, 120'000);
    ASSERT_TRUE(done.met) << done.view.dump();
    // Settled from the result: 3 pages at cost_effective's 3 credits, $1.25 / 1000 credits.
    EXPECT_EQ(done.view["actual_cost"]["parse_nanos"], 3 * 3 * 1'250'000) << done.view.dump();
    const auto codes = EventCodes(GetEvents(*client_, token_, id));
    EXPECT_TRUE(
        IsSubsequence({"PARSE_STARTED", "PARSE_SUBMITTED", "PARSE_PARKED", "PARSE_STORED"}, codes))
        << Join(codes);
    EXPECT_EQ(std::count(codes.begin(), codes.end(), "PARSE_STARTED"), 1) << Join(codes);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ parked ] %d documents, %lld ms processing each, 2 workers: %.1f s\n", kDocs,
              static_cast<long long>(kProcessingMs), s);
  EXPECT_EQ(llamaparse_.uploads_accepted(), kDocs);  // no job submitted twice
  HttpResponse after = client_->Send({.target = "/api/v1/costs", .bearer = token_});
  EXPECT_EQ(after.Json()["open_reservations"], 0) << after.body;
}

}  // namespace
}  // namespace ingestd::itest
