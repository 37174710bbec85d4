#include "search/catch_up_rounds.h"

#include <chrono>

#include "core/last_resort.h"
#include "core/log.h"

namespace ingestd::search {

Status CatchUpRounds::Run() {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(tickets_mu_);
    ticket = ++issued_;
  }
  std::lock_guard round(round_mu_);
  uint64_t covers = 0;
  {
    std::lock_guard lock(tickets_mu_);
    // A round that started after this call was made has read every change committed before.
    if (completed_ >= ticket) return last_round_;
    covers = issued_;
  }
  Status outcome = round_();
  std::lock_guard lock(tickets_mu_);
  completed_ = covers;
  last_round_ = outcome;
  return outcome;
}

void CatchUpRounds::Start(int64_t period_ms, std::string what) {
  thread_ = std::thread([this, period_ms, what = std::move(what)] { Loop(period_ms, what); });
}

void CatchUpRounds::Wake() {
  {
    std::lock_guard lock(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_one();
}

void CatchUpRounds::Stop() {
  {
    std::lock_guard lock(wake_mu_);
    stopping_ = true;
  }
  wake_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CatchUpRounds::Loop(int64_t period_ms, const std::string& what) {
  for (;;) {
    RunGuarded(what.c_str(), [&] {
      if (Status s = Run(); !s.ok()) {
        log::Warn(what + " failed", {{"code", s.code()}, {"error", s.message()}});
      }
    });
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, std::chrono::milliseconds(period_ms),
                      [this] { return wake_ || stopping_; });
    if (stopping_) return;
    wake_ = false;
  }
}

}  // namespace ingestd::search
