#include "services/router/service_router.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "ledger/sqlite_ledger.h"
#include "services/fault_injector.h"
#include "services/mock_embedder.h"
#include "services/mock_parser.h"
#include "services/token_estimate.h"

namespace ingestd {
namespace {

constexpr char kRealModel[] = "text-embedding-3-small";

// Stands in for the OpenAI client: reports usage, fails when told to.
class FakeRealEmbedder final : public Embedder {
 public:
  explicit FakeRealEmbedder(FaultOptions faults = {}) : faults_(faults, "embed") {}
  std::string name() const override { return "real"; }
  std::string model() const override { return kRealModel; }
  int dimensions() const override { return dims; }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext&) override {
    ++calls;
    {
      std::lock_guard lock(mu_);
      if (!script_.empty()) {
        Status s = script_.front();
        script_.erase(script_.begin());
        if (!s.ok()) return s;
      }
    }
    if (Status s = faults_.BeforeCall(); !s.ok()) return s;
    EmbedOutput out;
    for (const std::string& t : texts) {
      out.vectors.push_back(std::vector<float>(dims, 0.5f));
      out.total_tokens += EstimateTokens(t);
    }
    out.model = kRealModel;
    out.implementation = "real";
    return out;
  }
  void FailNext(Status s) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(s));
  }
  std::atomic<int> calls{0};
  int dims = MockEmbedder::kDimensions;  // OPENAI_EMBED_DIMENSIONS, as it were

 private:
  FaultInjector faults_;
  std::mutex mu_;
  std::vector<Status> script_;
};

class FakeRealParser final : public Parser {
 public:
  std::string name() const override { return "real"; }
  Result<ParseOutput> Parse(const ParseInput&, const CallContext&) override {
    ++calls;
    if (fail) return Status::Error(Kind::kUpstream, "UPSTREAM_TRANSIENT", "down", true);
    if (pending) return Status::Unavailable(kParsePendingCode, "pending").WithRetryAfterMs(1'000);
    return ParseOutput{"# Page 1\n\nreal text", 3, "real", cache_hit};
  }
  std::atomic<int> calls{0};
  bool fail = false;
  bool pending = false;  // submitted, the provider still working (as LlamaParse parks)
  bool cache_hit = false;
};

Status Transient() { return Status::Error(Kind::kUpstream, "UPSTREAM_TRANSIENT", "boom", true); }

class ServiceRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("router_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Builds a router over a fresh ledger; the real embedder is kept for scripting.
  void Build(ServiceMode embed_mode, LedgerOptions ledger_options = {}, FaultOptions faults = {},
             ServiceMode parse_mode = ServiceMode::kMock) {
    auto ledger = SqliteLedger::Open((dir_ / "ledger.db").string(), &clock_, ledger_options);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(*ledger);
    ServiceImpls impls;
    auto real = std::make_unique<FakeRealEmbedder>(faults);
    real_ = real.get();
    impls.embedders["real"] = std::move(real);
    impls.embedders["mock"] = std::make_unique<MockEmbedder>();
    auto real_parser = std::make_unique<FakeRealParser>();
    real_parser_ = real_parser.get();
    impls.parsers["real"] = std::move(real_parser);
    impls.parsers["mock"] = std::make_unique<MockParser>();
    RouterOptions options;
    options.embed_mode = embed_mode;
    options.parse_mode = parse_mode;
    options.breaker = {2, 1'000, 50};
    auto router = ServiceRouter::Create(std::move(options), std::move(impls), &clock_,
                                        ledger_.get(), [this](const RouteDecision& d) {
                                          std::lock_guard lock(mu_);
                                          decisions_.push_back(d);
                                        });
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    router_ = std::move(*router);
  }

  Result<EmbedOutput> Embed(const std::string& text = "hello world, embed me") {
    return router_->embedder()->Embed({text}, CallContext{"corr", "job", "user"});
  }

  RouteDecision LastDecision() {
    std::lock_guard lock(mu_);
    return decisions_.empty() ? RouteDecision{} : decisions_.back();
  }

  // Every service's spend before to_ms, grouped by service.
  Result<CostReport> CostsBefore(int64_t to_ms) {
    CostQuery q;
    q.to_ms = to_ms;
    return ledger_->Costs(q);
  }

  int64_t OpenReservations() { return CostsBefore(1)->open_reservations; }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteLedger> ledger_;
  std::unique_ptr<ServiceRouter> router_;
  FakeRealEmbedder* real_ = nullptr;
  FakeRealParser* real_parser_ = nullptr;
  std::mutex mu_;
  std::vector<RouteDecision> decisions_;
};

// ---- mode × breaker state × budget state ----

enum class Breaker { kClosed, kOpen, kHalfOpen };
enum class Budget { kRoom, kExhausted };
struct Case {
  ServiceMode mode;
  Breaker breaker;
  Budget budget;
  std::string expect;  // "real", "mock" (served by) or an error code
};

class RouterDecisionTest : public ServiceRouterTest, public ::testing::WithParamInterface<Case> {};

TEST_P(RouterDecisionTest, PicksTheExpectedImplementation) {
  const Case c = GetParam();
  LedgerOptions lo;
  lo.embed.daily_usd = 1e-6;  // 1000 nanos; one call here costs about 100
  Build(c.mode, lo);
  if (c.breaker != Breaker::kClosed && c.mode != ServiceMode::kMock) {
    // Two real failures open it (threshold 2); they are released, not spent.
    real_->FailNext(Transient());
    real_->FailNext(Transient());
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(router_->embedder()->Embed({"x"}, {"c", "j", "u"}).ok() ==
                  (c.mode == ServiceMode::kHybrid));
    }
    ASSERT_EQ(router_->Health()[1].breaker.state, BreakerState::kOpen);
    if (c.breaker == Breaker::kHalfOpen) clock_.Advance(1'000);
  }
  if (c.budget == Budget::kExhausted) {
    auto r = ledger_->Reserve({"embed", 1000, "other", "j0", "c0"});
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(ledger_->Settle(r->id, {1000, 1, "tokens", kRealModel, false}).ok());
  }
  const int primary_calls_before = real_->calls;
  auto out = Embed();
  if (c.expect == "real" || c.expect == "mock") {
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->model, c.expect == "real" ? kRealModel : std::string(MockEmbedder::kModel));
    EXPECT_EQ(LastDecision().implementation, c.expect);
    EXPECT_EQ(LastDecision().fallback_triggered,
              c.mode == ServiceMode::kHybrid && c.expect == "mock");
    EXPECT_EQ(real_->calls - primary_calls_before, c.expect == "real" ? 1 : 0);
  } else {
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), c.expect);
    EXPECT_TRUE(out.status().retryable());
    EXPECT_GT(out.status().retry_after_ms().value_or(0), 0);
    EXPECT_EQ(real_->calls, primary_calls_before);
  }
  EXPECT_EQ(OpenReservations(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    AllStates, RouterDecisionTest,
    ::testing::Values(
        Case{ServiceMode::kMock, Breaker::kClosed, Budget::kRoom, "mock"},
        Case{ServiceMode::kMock, Breaker::kClosed, Budget::kExhausted, "mock"},
        Case{ServiceMode::kReal, Breaker::kClosed, Budget::kRoom, "real"},
        Case{ServiceMode::kReal, Breaker::kClosed, Budget::kExhausted, "BUDGET_EXCEEDED"},
        Case{ServiceMode::kReal, Breaker::kOpen, Budget::kRoom, "SERVICE_UNAVAILABLE"},
        Case{ServiceMode::kReal, Breaker::kOpen, Budget::kExhausted, "SERVICE_UNAVAILABLE"},
        Case{ServiceMode::kReal, Breaker::kHalfOpen, Budget::kRoom, "real"},
        Case{ServiceMode::kReal, Breaker::kHalfOpen, Budget::kExhausted, "BUDGET_EXCEEDED"},
        Case{ServiceMode::kHybrid, Breaker::kClosed, Budget::kRoom, "real"},
        Case{ServiceMode::kHybrid, Breaker::kClosed, Budget::kExhausted, "mock"},
        Case{ServiceMode::kHybrid, Breaker::kOpen, Budget::kRoom, "mock"},
        Case{ServiceMode::kHybrid, Breaker::kOpen, Budget::kExhausted, "mock"},
        Case{ServiceMode::kHybrid, Breaker::kHalfOpen, Budget::kRoom, "real"},
        Case{ServiceMode::kHybrid, Breaker::kHalfOpen, Budget::kExhausted, "mock"}));

// ---- accounting and fallbacks ----

TEST_F(ServiceRouterTest, RealCallIsReservedThenSettledFromReportedUsage) {
  Build(ServiceMode::kReal);
  const std::string text(400, 'a');  // 100 tokens
  auto out = Embed(text);
  ASSERT_TRUE(out.ok());
  EXPECT_DOUBLE_EQ(out->cost_usd, 100 * 20 / 1e9);
  auto costs = CostsBefore(clock_.NowMillis() + 1);
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_EQ(costs->rows[0].cost_nanos, 2000);
  EXPECT_EQ(costs->rows[0].units, 100);
  EXPECT_EQ(costs->open_reservations, 0);
}

TEST_F(ServiceRouterTest, RealModeNeverServesMockOutput) {
  Build(ServiceMode::kReal, {}, FaultOptions{0, 0, false, 0});
  real_->FailNext(Transient());
  auto out = Embed();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_TRANSIENT");
  EXPECT_TRUE(out.status().retryable());
  EXPECT_EQ(OpenReservations(), 0);  // released
  EXPECT_TRUE(CostsBefore(clock_.NowMillis() + 1)->rows.empty());
}

TEST_F(ServiceRouterTest, HybridFallsBackOnServiceFaultsButNotOnBadInput) {
  Build(ServiceMode::kHybrid);
  real_->FailNext(Status::Error(Kind::kBudgetExceeded, "INSUFFICIENT_QUOTA", "quota", false));
  auto out = Embed();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->model, MockEmbedder::kModel);
  EXPECT_EQ(LastDecision().reason, "real_failed:INSUFFICIENT_QUOTA");
  real_->FailNext(Status::InvalidArgument("INPUT_TOO_LONG", "too long"));
  out = Embed();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "INPUT_TOO_LONG");
}

TEST_F(ServiceRouterTest, HybridWithHalfTheRealCallsFailingServesEveryCallWithHonestTags) {
  Build(ServiceMode::kHybrid, {}, FaultOptions{0, 2, false, 0});  // every 2nd real call fails
  int real = 0, mock = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string text = "chunk number " + std::to_string(i);
    auto out = Embed(text);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->vectors.size(), 1u);
    if (out->model == kRealModel) {
      ++real;
      EXPECT_EQ(out->vectors[0], std::vector<float>(MockEmbedder::kDimensions, 0.5f));
    } else {
      ++mock;
      EXPECT_EQ(out->model, MockEmbedder::kModel);
      EXPECT_EQ(out->vectors[0], MockEmbedder::VectorFor(text));  // a mock vector, mock tag
    }
  }
  EXPECT_EQ(real, 20);
  EXPECT_EQ(mock, 20);
  auto costs = CostsBefore(clock_.NowMillis() + 1);
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_EQ(costs->rows[0].calls, 20);  // only served real calls are spend
  EXPECT_EQ(costs->open_reservations, 0);
  EXPECT_EQ(router_->Health()[1].fallback_calls, 20);
}

// A fallback's vectors live in its own model space: its tag and its dimensions, whatever
// the real model is configured to.
TEST_F(ServiceRouterTest, EachBatchCarriesTheDimensionsOfTheImplementationThatServedIt) {
  Build(ServiceMode::kHybrid);
  real_->dims = 512;
  auto real = Embed();
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  EXPECT_EQ(real->model, kRealModel);
  EXPECT_EQ(real->dimensions, 512);
  real_->FailNext(Transient());
  auto fallback = Embed();
  ASSERT_TRUE(fallback.ok()) << fallback.status().ToString();
  EXPECT_EQ(fallback->model, MockEmbedder::kModel);
  EXPECT_EQ(fallback->dimensions, MockEmbedder::kDimensions);
  EXPECT_EQ(fallback->vectors.at(0).size(), static_cast<size_t>(MockEmbedder::kDimensions));
  EXPECT_EQ(router_->embedder()->dimensions(), 512);  // what new calls are meant to be
}

// The provider's cache served it: settled at $0, and that is no zero-cost alarm.
TEST_F(ServiceRouterTest, ParseCacheHitIsSettledFree) {
  Build(ServiceMode::kMock, {}, {}, ServiceMode::kReal);
  const std::string pdf_path = (dir_ / "doc.pdf").string();
  std::ofstream(pdf_path) << "%PDF-1.4\n<< /Type /Page >>\n%%EOF\n";
  real_parser_->cache_hit = true;
  auto out = router_->parser()->Parse({pdf_path, 64, "doc"}, {"c", "j", "u"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->cost_usd, 0);
  auto costs = CostsBefore(clock_.NowMillis() + 1);
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_EQ(costs->rows[0].cost_nanos, 0);
  EXPECT_TRUE(ledger_->RecentAlerts(0)->empty());
}

// A paid call whose estimate comes to nothing still reserves: a free reservation would let
// it through a full budget.
TEST_F(ServiceRouterTest, APaidCallNeverReservesZero) {
  LedgerOptions o;
  o.embed.daily_usd = 0.000001;  // 1000 nanos
  Build(ServiceMode::kReal, o);
  auto full = ledger_->Reserve({"embed", 1000, "u", "j", "c"});
  ASSERT_TRUE(full.ok());
  auto out = router_->embedder()->Embed({""}, CallContext{"corr", "job", "user"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "BUDGET_EXCEEDED");
  EXPECT_EQ(real_->calls, 0);
}

TEST_F(ServiceRouterTest, ParseReservesByPageCountAndFallsBackInHybrid) {
  Build(ServiceMode::kMock, {}, {}, ServiceMode::kHybrid);
  const std::string pdf_path = (dir_ / "doc.pdf").string();
  std::ofstream(pdf_path) << "%PDF-1.4\n<< /Type /Page >>\n<< /Type /Page >>\n%%EOF\n";
  ParseInput in{pdf_path, 64, "doc"};
  auto out = router_->parser()->Parse(in, {"c", "j", "u"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->implementation, "real");
  EXPECT_DOUBLE_EQ(out->cost_usd, 3 * 0.00375);  // settled from the 3 pages reported
  real_parser_->fail = true;
  out = router_->parser()->Parse(in, {"c", "j", "u"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->implementation, "mock");
  EXPECT_TRUE(LastDecision().fallback_triggered);
  EXPECT_EQ(CostsBefore(clock_.NowMillis() + 1)->rows[0].cost_nanos,
            3 * 3'750'000);  // the cost-effective tier
}

// A parked parse holds no thread and so no keeper extends its reservation: parking moves its
// expiry out, so a LlamaParse job that works longer than a dead process's reservation is
// kept (30 min here, the timeout 15) still has its reservation, which the resume settles.
TEST_F(ServiceRouterTest, AParkedParseKeepsItsReservationPastTheTimeoutAndItsResumeSettlesIt) {
  Build(ServiceMode::kMock, {}, {}, ServiceMode::kReal);
  const std::string pdf_path = (dir_ / "doc.pdf").string();
  std::ofstream(pdf_path) << "%PDF-1.4\n<< /Type /Page >>\n<< /Type /Page >>\n%%EOF\n";
  const ParseInput in{pdf_path, 64, "doc"};
  std::string parked;
  CallContext ctx{"c", "j", "u"};
  ctx.parked_reservation = &parked;
  real_parser_->pending = true;
  auto first = router_->parser()->Parse(in, ctx);
  ASSERT_TRUE(IsParsePending(first.status())) << first.status().ToString();
  ASSERT_FALSE(parked.empty());

  clock_.Advance(30 * 60'000);
  ASSERT_TRUE(ledger_->SweepExpired().ok());
  auto costs = CostsBefore(clock_.NowMillis() + 1);
  ASSERT_TRUE(costs.ok());
  EXPECT_EQ(costs->open_reservations, 1) << "the parked reservation lapsed";

  real_parser_->pending = false;
  auto done = router_->parser()->Parse(in, ctx);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(parked.empty());
  costs = CostsBefore(clock_.NowMillis() + 1);
  EXPECT_EQ(costs->open_reservations, 0);
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_EQ(costs->rows[0].cost_nanos, 3 * 3'750'000);  // the 3 pages, settled once
}

TEST_F(ServiceRouterTest, MissingRealImplementationIsAClearError) {
  ServiceImpls impls;
  impls.parsers["mock"] = std::make_unique<MockParser>();
  impls.embedders["mock"] = std::make_unique<MockEmbedder>();
  RouterOptions options;
  options.embed_mode = ServiceMode::kReal;
  auto router = ServiceRouter::Create(std::move(options), std::move(impls), &clock_, nullptr);
  ASSERT_FALSE(router.ok());
  EXPECT_EQ(router.status().code(), "SERVICE_NOT_CONFIGURED");
  EXPECT_EQ(router.status().kind(), Kind::kUnavailable);
}

}  // namespace
}  // namespace ingestd
