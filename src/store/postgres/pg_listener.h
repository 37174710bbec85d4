// PgListener: one dedicated connection that LISTENs on a channel and calls the subscribers
// whenever a NOTIFY arrives, from its own thread. Started by the first Subscribe.
//
// Delivery is a hint, not a guarantee: while the connection is down (it reconnects with a
// pause of reconnect_ms) notifications are lost, so after every (re)connect the subscribers
// are called once, and callers keep a slow fallback poll. Thread-safe. Destroying the
// listener (or a subscription) waits for a callback in progress to return, so a callback
// never runs after its subscription is gone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/store.h"

namespace ingestd::pg {

class PgListener {
 public:
  PgListener(std::string url, std::string channel, int64_t reconnect_ms = 1000);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  std::unique_ptr<StoreSubscription> Subscribe(std::function<void()> fn);

 private:
  class Subscription;
  void Unsubscribe(int64_t id);
  void Run();
  // One connection's listen loop; returns when told to stop.
  void Listen();
  void Fire();
  // Sleeps up to ms; false when Stop was requested meanwhile.
  bool Pause(int64_t ms);

  const std::string url_;
  const std::string channel_;
  const int64_t reconnect_ms_;
  int wake_fds_[2] = {-1, -1};  // a pipe: the destructor writes to stop Run()

  std::mutex mu_;                                         // held while callbacks run
  std::map<int64_t, std::function<void()>> subscribers_;  // guarded by mu_
  int64_t next_id_ = 1;                                   // guarded by mu_
  std::thread thread_;                                    // started under mu_
};

}  // namespace ingestd::pg
