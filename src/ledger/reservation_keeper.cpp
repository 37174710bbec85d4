#include "ledger/reservation_keeper.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/last_resort.h"
#include "core/log.h"

namespace ingestd {

ReservationKeeper::ReservationKeeper(Ledger* ledger, const Clock* clock, int64_t timeout_ms)
    : ledger_(ledger), clock_(clock), timeout_ms_(timeout_ms) {}

ReservationKeeper::~ReservationKeeper() { Stop(); }

void ReservationKeeper::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void ReservationKeeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReservationKeeper::Hold(const std::string& id) {
  std::lock_guard lock(mu_);
  held_.insert(id);
}

void ReservationKeeper::Drop(const std::string& id) {
  std::lock_guard lock(mu_);
  held_.erase(id);
}

size_t ReservationKeeper::held() const {
  std::lock_guard lock(mu_);
  return held_.size();
}

Status ReservationKeeper::Tick() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    ids.assign(held_.begin(), held_.end());
  }
  if (!ids.empty()) {
    auto extended = ledger_->Extend(ids, clock_->NowMillis() + timeout_ms_);
    if (!extended.ok()) return extended.status();
  }
  auto swept = ledger_->SweepExpired();
  return swept.ok() ? Status() : swept.status();
}

void ReservationKeeper::Loop() {
  const auto interval = std::chrono::milliseconds(std::max<int64_t>(timeout_ms_ / 3, 100));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Status s;
    if (auto error = RunGuarded("reservation keeper", [&] { s = Tick(); })) {
      s = Status::Internal("RESERVATION_TICK_THREW", *error);
    }
    if (!s.ok()) {
      log::Warn("budget reservations not extended", {{"code", s.code()}, {"error", s.message()}});
    }
    lock.lock();
    wake_.wait_for(lock, interval, [&] { return stopping_; });
  }
}

}  // namespace ingestd
