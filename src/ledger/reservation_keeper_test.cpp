// ReservationKeeper against a SQLite ledger on a FakeClock: held reservations are extended
// round after round and never lapse; dropped ones and those of a dead holder do.
#include "ledger/reservation_keeper.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "ledger/sqlite_ledger.h"
#include "ledger/windows.h"

namespace ingestd {
namespace {

constexpr int64_t kTimeout = 60'000;

class ReservationKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("keeper_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    LedgerOptions o;
    o.embed.daily_usd = 1;
    o.reservation_timeout_ms = kTimeout;
    auto opened = SqliteLedger::Open((dir_ / "ingestd.db").string(), &clock_, o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ledger_ = std::move(*opened);
  }
  void TearDown() override {
    ledger_.reset();
    std::filesystem::remove_all(dir_);
  }
  int64_t Reserved() {
    auto windows = ledger_->CurrentWindows();
    for (const WindowState& w : *windows) {
      if (w.scope == "embed" && w.metric == "usd") return w.reserved;
    }
    return -1;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteLedger> ledger_;
};

TEST_F(ReservationKeeperTest, HeldReservationsNeverLapseDroppedOnesDo) {
  ReservationKeeper keeper(ledger_.get(), &clock_, kTimeout);
  auto held = ledger_->Reserve({"embed", 1000, "u", "j", "c"});
  auto dropped = ledger_->Reserve({"embed", 10, "u", "j", "c"});
  ASSERT_TRUE(held.ok() && dropped.ok());
  keeper.Hold(held->id);
  keeper.Hold(dropped->id);
  keeper.Drop(dropped->id);
  EXPECT_EQ(keeper.held(), 1u);
  for (int round = 0; round < 20; ++round) {  // 20 minutes of a 1-minute timeout
    clock_.Advance(kTimeout / 3);
    ASSERT_TRUE(keeper.Tick().ok());
  }
  EXPECT_EQ(Reserved(), 1000);  // the dropped one lapsed, the held one is intact
  ASSERT_TRUE(ledger_->Settle(held->id, {900, 9, "tokens", "m", false}).ok());
  keeper.Drop(held->id);
}

// Nobody reserves after a holder died: the keeper's own sweep lapses its reservation.
TEST_F(ReservationKeeperTest, TickSweepsADeadHoldersReservations) {
  ASSERT_TRUE(ledger_->Reserve({"embed", 500, "u", "j", "c"}).ok());
  ReservationKeeper keeper(ledger_.get(), &clock_, kTimeout);
  clock_.Advance(kTimeout - 1);
  ASSERT_TRUE(keeper.Tick().ok());
  EXPECT_EQ(Reserved(), 500);
  clock_.Advance(1);
  ASSERT_TRUE(keeper.Tick().ok());
  EXPECT_EQ(Reserved(), 0);
}

TEST_F(ReservationKeeperTest, StartAndStopRunTheThread) {
  ReservationKeeper keeper(ledger_.get(), &clock_, 300);
  keeper.Start();
  keeper.Start();  // once
  keeper.Stop();
  keeper.Stop();
}

}  // namespace
}  // namespace ingestd
