// ReservationKeeper: keeps the reservations of calls still running from lapsing. A caller
// holds its reservation for the call's duration (Hold … Drop); a thread of the keeper extends
// every held reservation to now + timeout_ms, every timeout_ms / 3, in one Ledger::Extend,
// and sweeps expired ones (Ledger::SweepExpired). So a live call's reservation never lapses
// however long the provider takes, and the reservations of a process that died lapse at most
// timeout_ms after its last extension — also when nobody reserves anything afterwards.
//
// Thread safety: Hold, Drop and Tick may be called from any thread; Start/Stop from the owner.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/status.h"
#include "ledger/ledger.h"

namespace ingestd {

class ReservationKeeper {
 public:
  // ledger and clock must outlive the keeper; timeout_ms: the ledger's reservation_timeout_ms
  // (the expiry a reservation gets when made).
  ReservationKeeper(Ledger* ledger, const Clock* clock, int64_t timeout_ms);
  ~ReservationKeeper();  // Stop()
  ReservationKeeper(const ReservationKeeper&) = delete;
  ReservationKeeper& operator=(const ReservationKeeper&) = delete;

  // Starts the thread that runs Tick every timeout_ms / 3 (at least every 100 ms).
  void Start();
  // Stops and joins the thread (held reservations then lapse after their expiry).
  void Stop();

  void Hold(const std::string& reservation_id);
  void Drop(const std::string& reservation_id);
  size_t held() const;

  // One round: extends every held reservation, then sweeps. A failure (the database busy or
  // away) is returned and logged by the thread; the next round tries again, well before any
  // held reservation expires.
  Status Tick();

 private:
  void Loop();

  Ledger* const ledger_;
  const Clock* const clock_;
  const int64_t timeout_ms_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::set<std::string> held_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::thread thread_;
};

}  // namespace ingestd
