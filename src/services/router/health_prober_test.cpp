// HealthProber with a FakeClock: probes feed each service's breaker (a failing service opens
// it without any call, a recovered one closes it after the open interval), Health() shows
// the last probe, probes never touch the paid path, and the thread probes on its interval.
#include "services/router/health_prober.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "services/mock_embedder.h"
#include "services/mock_parser.h"

namespace ingestd {
namespace {

// A real embedder whose health is scripted; Embed must never run (probes are free).
class ProbedEmbedder final : public Embedder {
 public:
  std::string name() const override { return "real"; }
  std::string model() const override { return "text-embedding-3-small"; }
  int dimensions() const override { return MockEmbedder::kDimensions; }
  Result<EmbedOutput> Embed(const std::vector<std::string>&, const CallContext&) override {
    ++embeds;
    return Status::Internal("UNEXPECTED", "a probe must not embed");
  }
  Status CheckHealth(const CallContext& ctx) override {
    ++checks;
    std::lock_guard lock(mu);
    last_correlation_id = ctx.correlation_id;
    return healthy ? Status() : Status::Unavailable("UPSTREAM_UNAVAILABLE", "openai: HTTP 503");
  }
  std::mutex mu;
  bool healthy = true;  // guarded by mu
  std::string last_correlation_id;
  std::atomic<int> checks{0};
  std::atomic<int> embeds{0};
};

class HealthProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto real = std::make_unique<ProbedEmbedder>();
    embedder_ = real.get();
    ServiceImpls impls;
    impls.parsers["mock"] = std::make_unique<MockParser>();
    impls.embedders["real"] = std::move(real);
    impls.embedders["mock"] = std::make_unique<MockEmbedder>();
    RouterOptions options;
    options.embed_mode = ServiceMode::kHybrid;
    options.breaker = {.failure_threshold = 2, .open_ms = 10'000, .window_calls = 10};
    options.on_breaker = [this](const BreakerEvent& e) {
      std::lock_guard lock(events_mu_);
      transitions_.push_back(std::string(ToString(e.transition.from)) + "->" +
                             ToString(e.transition.to));
    };
    auto router = ServiceRouter::Create(std::move(options), std::move(impls), &clock_, nullptr);
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    router_ = std::move(router.value());
  }
  void SetHealthy(bool healthy) {
    std::lock_guard lock(embedder_->mu);
    embedder_->healthy = healthy;
  }
  ServiceHealth Embed() const { return router_->Health()[1]; }

  FakeClock clock_;
  ProbedEmbedder* embedder_ = nullptr;
  std::unique_ptr<ServiceRouter> router_;
  std::mutex events_mu_;
  std::vector<std::string> transitions_;
};

TEST_F(HealthProberTest, OnlyServicesWithARealImplementationAreProbed) {
  const auto targets = router_->ProbeTargets();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].route->options().service, "embed");
}

TEST_F(HealthProberTest, AFailingServiceOpensTheBreakerWithoutAnyCall) {
  HealthProber prober(router_->ProbeTargets(), &clock_, 0);
  EXPECT_FALSE(Embed().last_probe.has_value());
  SetHealthy(false);
  prober.ProbeOnce();
  EXPECT_EQ(Embed().breaker.state, BreakerState::kClosed);
  clock_.Advance(5);
  prober.ProbeOnce();
  const ServiceHealth h = Embed();
  EXPECT_EQ(h.breaker.state, BreakerState::kOpen);
  EXPECT_EQ(h.implementation, "mock");  // hybrid now serves from the fallback
  ASSERT_TRUE(h.last_probe.has_value());
  EXPECT_FALSE(h.last_probe->ok);
  EXPECT_EQ(h.last_probe->error_code, "UPSTREAM_UNAVAILABLE");
  EXPECT_EQ(h.last_probe->at_ms, clock_.NowMillis());
  EXPECT_EQ(h.primary_calls + h.fallback_calls, 0);
  EXPECT_EQ(h.breaker.recent_calls, 0);
  EXPECT_EQ(embedder_->embeds, 0);
  EXPECT_EQ(embedder_->checks, 2);
  EXPECT_FALSE(embedder_->last_correlation_id.empty());
  std::lock_guard lock(events_mu_);
  EXPECT_EQ(transitions_, std::vector<std::string>{"closed->open"});
}

TEST_F(HealthProberTest, RecoveryClosesTheBreakerOnceTheOpenIntervalHasPassed) {
  HealthProber prober(router_->ProbeTargets(), &clock_, 0);
  SetHealthy(false);
  prober.ProbeOnce();
  prober.ProbeOnce();
  ASSERT_EQ(Embed().breaker.state, BreakerState::kOpen);
  SetHealthy(true);
  clock_.Advance(9'999);
  prober.ProbeOnce();  // healthy, but the breaker keeps its open interval
  EXPECT_EQ(Embed().breaker.state, BreakerState::kOpen);
  EXPECT_TRUE(Embed().last_probe->ok);
  clock_.Advance(1);
  prober.ProbeOnce();
  const ServiceHealth h = Embed();
  EXPECT_EQ(h.breaker.state, BreakerState::kClosed);
  EXPECT_EQ(h.implementation, "real");
  EXPECT_EQ(h.last_probe->error_code, "");
  EXPECT_EQ(embedder_->embeds, 0);
  std::lock_guard lock(events_mu_);
  EXPECT_EQ(transitions_, (std::vector<std::string>{"closed->open", "open->closed"}));
}

TEST_F(HealthProberTest, TheThreadProbesEveryIntervalAndStopsPromptly) {
  HealthProber prober(router_->ProbeTargets(), &clock_, 5);
  prober.Start();
  EXPECT_TRUE(prober.running());
  for (int i = 0; i < 2'000 && prober.rounds() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GE(prober.rounds(), 3);
  prober.Stop();
  const int64_t after = prober.rounds();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(prober.rounds(), after);
  EXPECT_FALSE(prober.running());
}

TEST_F(HealthProberTest, IntervalZeroIsOff) {
  HealthProber prober(router_->ProbeTargets(), &clock_, 0);
  prober.Start();
  EXPECT_FALSE(prober.running());
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(embedder_->checks, 0);
}

}  // namespace
}  // namespace ingestd
