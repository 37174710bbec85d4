// CatchUpRounds: runs an in-memory index's catch-up round — a function that applies the
// store's changes after the last seq it saw — for concurrent callers and on a background
// thread, so SearchIndex and KeywordIndex share one way of staying current.
//
// Run() shares rounds: one runs at a time, and a caller returns once a round that started
// after it was called is done (that round read every change committed before the call),
// with that round's status. Start() runs rounds on a thread every period_ms and whenever
// Wake() is called (a store signal), until Stop().
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"

namespace ingestd::search {

class CatchUpRounds {
 public:
  // round is called with no lock of this class held but never twice at once.
  explicit CatchUpRounds(std::function<Status()> round) : round_(std::move(round)) {}
  ~CatchUpRounds() { Stop(); }
  CatchUpRounds(const CatchUpRounds&) = delete;
  CatchUpRounds& operator=(const CatchUpRounds&) = delete;

  Status Run();
  // `what` names the index in the log line of a failed round.
  void Start(int64_t period_ms, std::string what);
  void Wake();
  void Stop();

 private:
  void Loop(int64_t period_ms, const std::string& what);

  const std::function<Status()> round_;
  std::mutex round_mu_;  // held through a round
  std::mutex tickets_mu_;
  uint64_t issued_ = 0;     // guarded by tickets_mu_
  uint64_t completed_ = 0;  // guarded by tickets_mu_
  Status last_round_;       // guarded by tickets_mu_

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;      // guarded by wake_mu_
  bool stopping_ = false;  // guarded by wake_mu_
  std::thread thread_;
};

}  // namespace ingestd::search
