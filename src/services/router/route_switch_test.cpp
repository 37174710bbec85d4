// Live mode switching of the ServiceRouter: a call in flight finishes on the implementation
// it started with, the next call runs under the new mode, and decisions name the mode each
// call actually ran under.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "services/mock_embedder.h"
#include "services/mock_parser.h"
#include "services/router/service_router.h"

namespace ingestd {
namespace {

// An embedder that holds each call until released, so a test can switch modes while a call
// is inside it.
class GateEmbedder final : public Embedder {
 public:
  GateEmbedder(std::string name, std::string model) : name_(std::move(name)), model_(model) {}
  std::string name() const override { return name_; }
  std::string model() const override { return model_; }
  int dimensions() const override { return 4; }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext&) override {
    std::unique_lock lock(mu_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    ++calls_;
    EmbedOutput out;
    out.vectors.assign(texts.size(), std::vector<float>(4, 0.25f));
    out.model = model_;
    out.implementation = name_;
    out.total_tokens = static_cast<int64_t>(texts.size());
    return out;
  }
  void WaitEntered(int n) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return entered_ >= n; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  const std::string name_, model_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool open_ = false;
  int entered_ = 0;
  int calls_ = 0;
};

class RouteSwitchTest : public ::testing::Test {
 protected:
  // mock: a gate; real: a gate too when with_real (else not registered).
  void Build(ServiceMode embed_mode, bool with_real) {
    ServiceImpls impls;
    auto mock = std::make_unique<GateEmbedder>("mock", "mock-model");
    mock_ = mock.get();
    impls.embedders["mock"] = std::move(mock);
    if (with_real) {
      auto real = std::make_unique<GateEmbedder>("real", "real-model");
      real_ = real.get();
      impls.embedders["real"] = std::move(real);
    }
    impls.parsers["mock"] = std::make_unique<MockParser>();
    RouterOptions options;
    options.embed_mode = embed_mode;
    auto router = ServiceRouter::Create(std::move(options), std::move(impls), &clock_, nullptr,
                                        [this](const RouteDecision& d) {
                                          std::lock_guard lock(mu_);
                                          decisions_.push_back(d);
                                        });
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    router_ = std::move(*router);
  }

  std::future<Result<EmbedOutput>> EmbedAsync(const std::string& job) {
    return std::async(std::launch::async, [this, job] {
      return router_->embedder()->Embed({"text"}, CallContext{"corr-" + job, job, "u"});
    });
  }

  RouteDecision DecisionOf(const std::string& job) {
    std::lock_guard lock(mu_);
    for (const RouteDecision& d : decisions_) {
      if (d.job_id == job) return d;
    }
    return {};
  }

  FakeClock clock_;
  std::unique_ptr<ServiceRouter> router_;
  GateEmbedder* mock_ = nullptr;
  GateEmbedder* real_ = nullptr;
  std::mutex mu_;
  std::vector<RouteDecision> decisions_;
};

TEST_F(RouteSwitchTest, CallInFlightFinishesOnItsImplementationAndTheNextUsesTheNewMode) {
  Build(ServiceMode::kMock, /*with_real=*/true);
  auto in_flight = EmbedAsync("job-old");
  mock_->WaitEntered(1);  // the call is inside the mock implementation

  auto previous = router_->SetMode("embed", ServiceMode::kReal);
  ASSERT_TRUE(previous.ok()) << previous.status().ToString();
  EXPECT_EQ(*previous, ServiceMode::kMock);
  EXPECT_EQ(*router_->Mode("embed"), ServiceMode::kReal);
  EXPECT_EQ(router_->embedder()->model(), "real-model");
  EXPECT_EQ(router_->Health()[1].mode, "real");

  real_->Open();
  auto next = EmbedAsync("job-new").get();
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->model, "real-model");
  EXPECT_EQ(real_->calls(), 1);
  EXPECT_EQ(mock_->calls(), 0);  // still held: the switch did not move or cancel it

  mock_->Open();
  auto old = in_flight.get();
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->model, "mock-model");
  EXPECT_EQ(mock_->calls(), 1);
  EXPECT_EQ(real_->calls(), 1);

  EXPECT_EQ(DecisionOf("job-old").mode, "mock");
  EXPECT_EQ(DecisionOf("job-old").implementation, "mock");
  EXPECT_EQ(DecisionOf("job-new").mode, "real");
  EXPECT_EQ(DecisionOf("job-new").implementation, "real");
}

TEST_F(RouteSwitchTest, HybridCallInFlightKeepsItsFallbackAfterASwitchToMock) {
  Build(ServiceMode::kHybrid, /*with_real=*/true);
  auto in_flight = EmbedAsync("job-hybrid");
  real_->WaitEntered(1);
  ASSERT_TRUE(router_->SetMode("embed", ServiceMode::kMock).ok());
  mock_->Open();
  auto next = EmbedAsync("job-mock").get();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(DecisionOf("job-mock").mode, "mock");
  real_->Open();
  ASSERT_TRUE(in_flight.get().ok());
  EXPECT_EQ(DecisionOf("job-hybrid").mode, "hybrid");
  EXPECT_EQ(DecisionOf("job-hybrid").implementation, "real");
  EXPECT_FALSE(DecisionOf("job-hybrid").fallback_triggered);
}

TEST_F(RouteSwitchTest, ModesWithoutImplementationsAreRefusedAndChangeNothing) {
  Build(ServiceMode::kMock, /*with_real=*/false);
  for (ServiceMode m : {ServiceMode::kReal, ServiceMode::kHybrid}) {
    auto r = router_->SetMode("embed", m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), "SERVICE_NOT_CONFIGURED");
    EXPECT_EQ(r.status().kind(), Kind::kUnavailable);
    EXPECT_FALSE(r.status().retryable());
  }
  for (const char* service : {"parse", "embed"}) {  // no local implementation registered here
    EXPECT_EQ(router_->SetMode(service, ServiceMode::kLocal).status().code(),
              "SERVICE_NOT_CONFIGURED");
  }
  EXPECT_EQ(router_->SetMode("ocr", ServiceMode::kMock).status().code(), "SERVICE_UNKNOWN");
  EXPECT_EQ(*router_->Mode("embed"), ServiceMode::kMock);
  EXPECT_EQ(*router_->Mode("parse"), ServiceMode::kMock);
  EXPECT_TRUE(router_->CheckMode("parse", ServiceMode::kMock).ok());
}

TEST_F(RouteSwitchTest, SwitchingBackAndForthUnderConcurrentCallsLosesNone) {
  Build(ServiceMode::kMock, /*with_real=*/true);
  mock_->Open();
  real_->Open();
  std::vector<std::future<Result<EmbedOutput>>> calls;
  for (int i = 0; i < 40; ++i) {
    calls.push_back(EmbedAsync("job-" + std::to_string(i)));
    ASSERT_TRUE(router_->SetMode("embed", i % 2 ? ServiceMode::kMock : ServiceMode::kReal).ok());
  }
  for (int i = 0; i < 40; ++i) {
    auto out = calls[i].get();
    ASSERT_TRUE(out.ok());
    // The model tag always matches the mode the call's decision names.
    const RouteDecision d = DecisionOf("job-" + std::to_string(i));
    EXPECT_EQ(out->model, d.mode == "real" ? "real-model" : "mock-model");
  }
  EXPECT_EQ(mock_->calls() + real_->calls(), 40);
}

}  // namespace
}  // namespace ingestd
