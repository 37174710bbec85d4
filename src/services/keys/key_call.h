// KeyAttempts: one provider call's walk through a KeyRing. Next leases a key (held for the
// whole attempt, whatever reloads happen); Saw notes each HTTP status the attempt got; when
// the attempt failed with a 401, RetryAfterUnauthorized takes the key out of rotation and
// says whether to try again with the next one (a bounded number of times). When no key is
// left, Next fails with the ring's PROVIDER_KEYS_EXHAUSTED: the call fails as not configured.
//
// One call, one thread; not shared.
#pragma once

#include <string>

#include "services/keys/key_ring.h"

namespace ingestd {

class KeyAttempts {
 public:
  static constexpr int kMaxAttempts = 16;

  KeyAttempts(KeyRing* ring, std::string job_id, std::string correlation_id)
      : ring_(ring), job_id_(std::move(job_id)), correlation_id_(std::move(correlation_id)) {}

  Result<KeyHandle> Next() {
    saw_unauthorized_ = false;
    ++attempts_;
    return ring_->Next();
  }
  void Saw(long http_status) { saw_unauthorized_ = saw_unauthorized_ || http_status == 401; }

  // failure: how the attempt with key ended. True: the key got a 401 and was taken out of
  // rotation (by this call or a concurrent one) and another key is left; try again with
  // Next. False after the last key's 401: the call reports that 401 (UPSTREAM_AUTH); later
  // calls fail PROVIDER_KEYS_EXHAUSTED without sending anything.
  bool RetryAfterUnauthorized(const KeyHandle& key, const Status& failure) {
    if (!saw_unauthorized_ || failure.code() != "UPSTREAM_AUTH") return false;
    ring_->Revoke(key, "HTTP 401 from " + ring_->service(), job_id_, correlation_id_);
    return ring_->active_count() > 0 && attempts_ < kMaxAttempts;
  }

 private:
  KeyRing* const ring_;
  const std::string job_id_;
  const std::string correlation_id_;
  int attempts_ = 0;
  bool saw_unauthorized_ = false;
};

}  // namespace ingestd
