#include "services/keys/key_ring.h"

#include "core/log.h"

namespace ingestd {

KeyRing::KeyRing(std::string service, std::vector<ApiKey> keys, const Clock* clock)
    : service_(std::move(service)), clock_(clock ? clock : SystemClock::Default()) {
  Replace(std::move(keys));
}

Result<KeyHandle> KeyRing::Next() {
  std::lock_guard lock(mu_);
  for (size_t tried = 0; tried < entries_.size(); ++tried) {
    Entry& e = entries_[next_++ % entries_.size()];
    if (!e.state.active) continue;
    ++e.state.uses;
    return e.key;
  }
  return Status::Error(Kind::kUnavailable, "PROVIDER_KEYS_EXHAUSTED",
                       service_ +
                           ": no usable API key (every configured key was rejected or "
                           "none is configured)");
}

bool KeyRing::Revoke(const KeyHandle& key, const std::string& reason, const std::string& job_id,
                     const std::string& correlation_id) {
  KeyRevocation event;
  RevocationListener listener;
  {
    std::lock_guard lock(mu_);
    Entry* hit = nullptr;
    size_t active = 0;
    for (Entry& e : entries_) {
      if (e.key == key) hit = &e;
      active += e.state.active;
    }
    if (hit == nullptr || !hit->state.active) return false;
    hit->state.active = false;
    hit->state.revoked_at_ms = clock_->NowMillis();
    hit->state.revoked_reason = reason;
    event = {service_, key->id, reason, job_id, correlation_id, active - 1};
    listener = listener_;
  }
  log::Error("provider key rejected; taken out of rotation",
             {{"service", service_},
              {"key_id", event.key_id},
              {"reason", reason},
              {"active_keys_left", event.active_left},
              {"correlation_id", correlation_id},
              {"job_id", job_id}});
  if (listener) listener(event);
  return true;
}

size_t KeyRing::Replace(std::vector<ApiKey> keys) {
  std::lock_guard lock(mu_);
  std::vector<Entry> next;
  next.reserve(keys.size());
  size_t active = 0;
  for (ApiKey& k : keys) {
    Entry entry;
    for (const Entry& old : entries_) {
      if (old.key->id == k.id && old.key->secret == k.secret) entry = old;
    }
    if (!entry.key) {
      entry.state.id = k.id;
      entry.key = std::make_shared<const ApiKey>(std::move(k));
    }
    active += entry.state.active;
    next.push_back(std::move(entry));
  }
  entries_ = std::move(next);
  next_ = 0;
  return active;
}

void KeyRing::SetListener(RevocationListener listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

std::vector<KeyState> KeyRing::States() const {
  std::lock_guard lock(mu_);
  std::vector<KeyState> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.state);
  return out;
}

size_t KeyRing::active_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const Entry& e : entries_) n += e.state.active;
  return n;
}

}  // namespace ingestd
