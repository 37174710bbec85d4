// ModeController over SQLite settings and real ServiceRouters: a switch is validated,
// persisted with its history row and applied at once; another controller on the same
// database (another process) applies it on its next sync; a restart starts from it.
#include "control/mode_controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "control/sqlite_service_settings.h"
#include "services/mock_embedder.h"
#include "services/mock_parser.h"

namespace ingestd {
namespace {

// Stands in for the real embedder: its presence is what makes real/hybrid configurable.
class RealEmbedder final : public Embedder {
 public:
  std::string name() const override { return "real"; }
  std::string model() const override { return "real-model"; }
  int dimensions() const override { return MockEmbedder::kDimensions; }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext&) override {
    EmbedOutput out;
    out.vectors.assign(texts.size(), std::vector<float>(MockEmbedder::kDimensions, 0.5f));
    out.model = "real-model";
    out.implementation = "real";
    return out;
  }
};

// One process: its settings connection, router and controller.
struct Process {
  std::unique_ptr<SqliteServiceSettings> settings;
  std::unique_ptr<ServiceRouter> router;
  std::unique_ptr<ModeController> modes;

  std::string Mode(const std::string& service) { return ToString(*router->Mode(service)); }
};

class ModeControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mode_controller_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A process with the env modes mock/mock; with_real registers the real embedder.
  std::unique_ptr<Process> Start(bool with_real, int64_t poll_ms = 60'000) {
    auto p = std::make_unique<Process>();
    auto settings = SqliteServiceSettings::Open((dir_ / "ingestd.db").string(), &clock_);
    EXPECT_TRUE(settings.ok()) << settings.status().ToString();
    if (!settings.ok()) return nullptr;
    p->settings = std::move(*settings);
    ServiceImpls impls;
    impls.parsers["mock"] = std::make_unique<MockParser>();
    impls.embedders["mock"] = std::make_unique<MockEmbedder>();
    if (with_real) impls.embedders["real"] = std::make_unique<RealEmbedder>();
    auto router = ServiceRouter::Create({}, std::move(impls), &clock_, nullptr);
    EXPECT_TRUE(router.ok()) << router.status().ToString();
    if (!router.ok()) return nullptr;
    p->router = std::move(*router);
    ServiceRouter* r = p->router.get();
    p->modes = std::make_unique<ModeController>(
        p->settings.get(), r,
        [r](std::string_view service, ServiceMode mode) { return r->CheckMode(service, mode); },
        ModeControllerOptions{poll_ms, "mock", "mock"});
    EXPECT_TRUE(p->modes->Sync().ok());  // start-up: the persisted modes
    return p;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
};

TEST_F(ModeControllerTest, SwitchIsPersistedAppliedHereAndSeenByAnotherProcessOnSync) {
  auto a = Start(true), b = Start(true);
  ASSERT_TRUE(a && b);
  auto change = a->modes->SetMode("embed", "real", "admin", "corr-1");
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  EXPECT_EQ(change->from_mode, "mock");
  EXPECT_EQ(change->to_mode, "real");
  EXPECT_EQ(change->actor, "admin");
  EXPECT_EQ(a->Mode("embed"), "real");  // at once in the switching process
  EXPECT_EQ(b->Mode("embed"), "mock");  // the other one until it polls
  ASSERT_TRUE(b->modes->Sync().ok());
  EXPECT_EQ(b->Mode("embed"), "real");
  EXPECT_EQ(b->Mode("parse"), "mock");
  auto history = b->modes->History(10, 0);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].correlation_id, "corr-1");
}

TEST_F(ModeControllerTest, ARestartStartsFromThePersistedModeNotTheEnvDefault) {
  {
    auto a = Start(true);
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->modes->SetMode("embed", "hybrid", "admin", "c").ok());
  }
  auto restarted = Start(true);
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->Mode("embed"), "hybrid");
  auto modes = restarted->modes->Modes();
  ASSERT_TRUE(modes.ok());
  ASSERT_EQ(modes->size(), 2u);
  EXPECT_EQ((*modes)[0].service, "parse");
  EXPECT_EQ((*modes)[0].mode, "mock");  // never set: the default
  EXPECT_EQ((*modes)[0].updated_by, "");
  EXPECT_EQ((*modes)[1].mode, "hybrid");
  EXPECT_EQ((*modes)[1].updated_by, "admin");
}

TEST_F(ModeControllerTest, RefusedSwitchesPersistNothing) {
  auto a = Start(false);
  ASSERT_TRUE(a);
  auto r = a->modes->SetMode("embed", "real", "admin", "c");
  EXPECT_EQ(r.status().code(), "SERVICE_NOT_CONFIGURED");
  EXPECT_EQ(r.status().kind(), Kind::kUnavailable);
  EXPECT_EQ(a->modes->SetMode("embed", "turbo", "admin", "c").status().code(),
            "SERVICE_MODE_UNKNOWN");
  EXPECT_EQ(a->modes->SetMode("embed", "local", "admin", "c").status().code(),
            "SERVICE_NOT_CONFIGURED");  // not registered in this process
  EXPECT_EQ(a->modes->SetMode("ocr", "mock", "admin", "c").status().code(), "SERVICE_UNKNOWN");
  EXPECT_TRUE(a->modes->History(10, 0)->empty());
  EXPECT_TRUE(a->settings->Modes()->empty());
}

TEST_F(ModeControllerTest, AProcessThatCannotServeThePersistedModeKeepsItsOwn) {
  auto with_key = Start(true), without_key = Start(false);
  ASSERT_TRUE(with_key && without_key);
  ASSERT_TRUE(with_key->modes->SetMode("embed", "real", "admin", "c").ok());
  ASSERT_TRUE(without_key->modes->Sync().ok());
  EXPECT_EQ(without_key->Mode("embed"), "mock");
  ASSERT_TRUE(with_key->modes->SetMode("embed", "mock", "admin", "c").ok());
  ASSERT_TRUE(without_key->modes->Sync().ok());
  EXPECT_EQ(without_key->Mode("embed"), "mock");
}

TEST_F(ModeControllerTest, WithoutARouterSwitchesArePersistedForTheProcessesThatRunOne) {
  auto worker = Start(true);
  ASSERT_TRUE(worker);
  auto settings = SqliteServiceSettings::Open((dir_ / "ingestd.db").string(), &clock_);
  ASSERT_TRUE(settings.ok());
  ModeController cli(settings->get(), nullptr,
                     [](std::string_view service, ServiceMode mode) {
                       // What a configuration with an OpenAI key and no LlamaParse key registers.
                       return ServiceRouter::CheckModeAgainst(
                           service, mode,
                           service == "embed" ? std::set<std::string>{"mock", "real"}
                                              : std::set<std::string>{"mock"});
                     },
                     {60'000, "mock", "mock"});
  ASSERT_TRUE(cli.SetMode("embed", "real", "cli:root", "c").ok());
  EXPECT_EQ(cli.SetMode("parse", "real", "cli:root", "c").status().code(),
            "SERVICE_NOT_CONFIGURED");
  ASSERT_TRUE(cli.Sync().ok());  // nothing to apply here
  ASSERT_TRUE(worker->modes->Sync().ok());
  EXPECT_EQ(worker->Mode("embed"), "real");
}

TEST_F(ModeControllerTest, PollingAppliesAnotherProcessesSwitchWithinAnInterval) {
  auto a = Start(true), b = Start(true, /*poll_ms=*/20);
  ASSERT_TRUE(a && b);
  b->modes->StartPolling();
  ASSERT_TRUE(a->modes->SetMode("embed", "real", "admin", "c").ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (b->Mode("embed") != "real" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(b->Mode("embed"), "real");
  b->modes->Stop();
}

}  // namespace
}  // namespace ingestd
