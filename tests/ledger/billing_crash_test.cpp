// The billing sweep's last step (issue 12 §3; the other steps: billing_sweep_test.cpp):
// `ingestd serve` SIGKILLed between a paid call's billed answer and its settle, for each
// paid call site — an OpenAI embeddings request the fake has billed, a LlamaParse result
// fetch of a job the fake has billed — then restarted on the same data. After the job
// completes and the dead process's reservations have lapsed: the ledger's settled cost
// equals what the fake billed (the lost embed answer charged at its exact token count when
// its reservation lapsed, and paid again by the retry; the parse resumed and settled once),
// nothing stays reserved, and no window ends above its limit unless a cost_overrun records
// why.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "harness/db_inspector.h"
#include "harness/test_support.h"
#include "tests/fakes/fake_provider_env.h"

namespace ingestd::itest {
namespace {

// The price table (README "Budgets and service modes"): text-embedding-3-small $0.02 per
// 1M tokens; LlamaParse cost_effective 3 credits a page at $1.25 per 1000 credits.
constexpr int64_t kNanosPerToken = 20;
constexpr int64_t kNanosPerPage = 3 * 1'250'000;

class BillingCrashTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return fakes::FakeProvidersEnv(openai_, llamaparse_);
  }

  // Kills serve from the fake's connection thread, just before the billed answer is sent,
  // and returns (so the fake sends it) only once serve is dead: no answer reaches it.
  std::function<void()> KillServeOnce() {
    const pid_t pid = server_->pid();
    return [this, pid] {
      if (!killed_.exchange(true)) KillAndAwaitDeath(pid);
    };
  }

  // Uploads, waits for the kill, restarts and waits for the job to complete.
  void UploadCrashAndRecover(const std::string& tag) {
    HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, tag));
    ASSERT_EQ(up.status, 202) << up.Describe();
    const std::string job_id = up.Json()["job_id"];
    for (int i = 0; i < 2400 && !killed_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_TRUE(killed_) << "no billed answer reached the hook";
    server_->Kill();  // reaps it
    {
      DbInspector db(server_->db_path());
      ASSERT_EQ(db.Count("ledger_reservations", "lapsed_at_ms IS NULL"), 1)
          << "the killed call's reservation is not open";
    }
    Restart();
    WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 90'000);
    ASSERT_TRUE(done.met) << done.view.dump();
    // The dead process's reservation lapses (or its resumed call settled it).
    json costs;
    for (int i = 0; i < 400; ++i) {
      costs = client_->Get("/api/v1/costs", token_).Json();
      if (costs.value("open_reservations", -1) == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    EXPECT_EQ(costs["open_reservations"], 0) << costs.dump();
  }

  int64_t SettledNanos(const std::string& service) {
    DbInspector db(server_->db_path());
    return db
        .Scalar("SELECT coalesce(sum(cost_nanos), 0) FROM ledger_spend WHERE service = ?1",
                {service})
        .value_or(-1);
  }
  // Spend rows of a kind: "estimate" is a lapsed reservation charged in full.
  int64_t SpendRows(const std::string& service, const std::string& unit) {
    return DbInspector(server_->db_path())
        .Count("ledger_spend", "service = ?1 AND unit = ?2", {service, unit});
  }
  // No window above its limit unless a cost_overrun alert records why.
  void ExpectNoUnexplainedOverrun() {
    DbInspector db(server_->db_path());
    const auto over = db.Query(
        "SELECT scope, metric FROM ledger_windows w WHERE spent > limit_value AND NOT EXISTS "
        "(SELECT 1 FROM ledger_alerts a WHERE a.kind = 'cost_overrun' AND a.scope = w.scope "
        "AND a.metric = w.metric AND a.window_start_ms = w.window_start_ms)");
    EXPECT_TRUE(over.empty()) << over.size() << " windows above their limit, first: " << over[0][0]
                              << " " << over[0][1];
    EXPECT_GT(db.Count("ledger_windows"), 0) << "no budget window to check";
  }

  fakes::FakeOpenAiServer openai_;
  fakes::FakeLlamaParseServer llamaparse_{{.complete_after_ms = 0}};
  std::atomic<bool> killed_{false};
};

class EmbedBillingCrashTest : public BillingCrashTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    auto env = BillingCrashTest::ServerEnv();
    env["EMBED_MODE"] = "real";
    return env;
  }
};

TEST_F(EmbedBillingCrashTest, AKillBetweenTheBilledAnswerAndTheSettleIsChargedWhatWasBilled) {
  const auto kill = KillServeOnce();
  openai_.SetBeforeBilledAnswer([kill](int) { kill(); });
  UploadCrashAndRecover("billing-crash-embed");
  const auto sent = openai_.requests();
  ASSERT_GE(std::count_if(sent.begin(), sent.end(), [](const auto& r) { return r.billed; }), 2)
      << "the lost answer was not paid for again";
  EXPECT_EQ(SettledNanos("embed"), openai_.billed_tokens() * kNanosPerToken);
  EXPECT_EQ(SpendRows("embed", "estimate"), 1) << "the lost answer was not charged at its lapse";
  ExpectNoUnexplainedOverrun();
}

class ParseBillingCrashTest : public BillingCrashTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    auto env = BillingCrashTest::ServerEnv();
    env["PARSE_MODE"] = "real";
    return env;
  }
};

TEST_F(ParseBillingCrashTest, AKillBetweenTheResultAndTheSettleResumesAndSettlesOnce) {
  llamaparse_.SetBeforeResult(KillServeOnce());
  UploadCrashAndRecover("billing-crash-parse");
  EXPECT_EQ(llamaparse_.uploads_accepted(), 1) << "the parse was submitted again";
  EXPECT_EQ(llamaparse_.billed_pages(), fakes::FakeLlamaParseServer::kPages);
  EXPECT_EQ(SettledNanos("parse"), llamaparse_.billed_pages() * kNanosPerPage);
  EXPECT_EQ(SpendRows("parse", "estimate"), 0) << "charged at a lapse instead of settled";
  ExpectNoUnexplainedOverrun();
}

}  // namespace
}  // namespace ingestd::itest
