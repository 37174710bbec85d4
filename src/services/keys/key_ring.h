// KeyRing: the API keys of one provider, handed out round-robin.
//
// A call takes a KeyHandle (a snapshot: the id and secret stay valid for as long as the call
// holds it, whatever reloads happen meanwhile) and reports a 401 with Revoke, which takes
// that key out of rotation. Replace swaps in a reloaded key set: an (id, secret) pair that
// was already present keeps its state (a revoked key stays out until its secret changes),
// anything new starts active, and keys no longer listed leave rotation at once while calls
// that hold them finish undisturbed.
//
// Only key ids ever leave this class in statuses, logs and snapshots; secrets are read by
// the provider client alone (for its Authorization header).
//
// Thread-safe: one mutex guards the set; Next is a lock, an index step and a copy of one
// shared_ptr.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace ingestd {

struct ApiKey {
  std::string id;      // safe to log, record and show
  std::string secret;  // never logged, recorded or shown
};

using KeyHandle = std::shared_ptr<const ApiKey>;

struct KeyState {
  std::string id;
  bool active = true;
  int64_t uses = 0;            // handed out by Next since it (re)joined the set
  int64_t revoked_at_ms = 0;   // 0 while active
  std::string revoked_reason;  // e.g. "HTTP 401 invalid_api_key"
};

// Who is told when a key leaves rotation (besides the log line KeyRing writes itself).
struct KeyRevocation {
  std::string service;  // the ring's service, e.g. "openai"
  std::string key_id;
  std::string reason;
  std::string job_id;  // of the call that saw the 401 (may be empty)
  std::string correlation_id;
  size_t active_left = 0;
};
using RevocationListener = std::function<void(const KeyRevocation&)>;

class KeyRing {
 public:
  // service names the provider in logs and errors ("openai", "llamaparse"). clock null:
  // SystemClock. keys may be empty (every Next fails until a reload brings some).
  explicit KeyRing(std::string service, std::vector<ApiKey> keys = {},
                   const Clock* clock = nullptr);

  // The next active key, round-robin. No active key: kUnavailable "PROVIDER_KEYS_EXHAUSTED",
  // not retryable (an operator must add or fix keys; the call fails as not configured).
  Result<KeyHandle> Next();

  // The provider answered 401 to a call made with key: it leaves rotation (until a reload
  // brings a different secret under its id). Logs the id (never the secret) and tells the
  // listener, once per key. Returns false when the key had already left (another call saw
  // the 401 first, or a reload replaced it): the caller simply tries Next again.
  bool Revoke(const KeyHandle& key, const std::string& reason, const std::string& job_id = {},
              const std::string& correlation_id = {});

  // A reloaded key set (see the class comment). Returns how many keys are active after it.
  size_t Replace(std::vector<ApiKey> keys);

  void SetListener(RevocationListener listener);
  std::vector<KeyState> States() const;
  size_t active_count() const;
  const std::string& service() const { return service_; }

 private:
  struct Entry {
    KeyHandle key;
    KeyState state;
  };

  const std::string service_;
  const Clock* const clock_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;   // guarded by mu_
  size_t next_ = 0;              // guarded by mu_
  RevocationListener listener_;  // guarded by mu_
};

}  // namespace ingestd
