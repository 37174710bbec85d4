#include "services/keys/key_registry.h"

#include "core/last_resort.h"
#include "core/log.h"

namespace ingestd {

Result<std::unique_ptr<KeyRegistry>> KeyRegistry::Open(std::map<std::string, KeySource> providers,
                                                       int64_t poll_ms, const Clock* clock) {
  std::unique_ptr<KeyRegistry> reg(new KeyRegistry());
  bool any_file = false;
  for (auto& [name, source] : providers) {
    if (!source.configured()) continue;
    Provider p;
    p.file_id = Identify(source.file);
    auto keys = LoadKeys(source);
    if (!keys.ok()) return keys.status();
    p.ring = std::make_unique<KeyRing>(name, std::move(*keys), clock);
    any_file = any_file || !source.file.empty();
    p.source = std::move(source);
    reg->providers_.emplace(name, std::move(p));
  }
  if (any_file && poll_ms > 0) {
    reg->poller_ = std::thread([r = reg.get(), poll_ms] { r->PollLoop(poll_ms); });
  }
  return reg;
}

KeyRegistry::~KeyRegistry() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

KeyRing* KeyRegistry::ring(const std::string& provider) const {
  auto it = providers_.find(provider);
  return it == providers_.end() ? nullptr : it->second.ring.get();
}

std::map<std::string, const KeyRing*> KeyRegistry::rings() const {
  std::map<std::string, const KeyRing*> out;
  for (const auto& [name, p] : providers_) out[name] = p.ring.get();
  return out;
}

void KeyRegistry::SetListener(const RevocationListener& listener) {
  for (auto& [name, p] : providers_) p.ring->SetListener(listener);
}

KeyRegistry::FileId KeyRegistry::Identify(const std::string& path) {
  FileId id;
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return id;
  id.exists = true;
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  id.size = st.st_size;
  id.inode = static_cast<int64_t>(st.st_ino);
  return id;
}

Status KeyRegistry::Reload(const std::string& name, Provider& p) {
  p.file_id = Identify(p.source.file);
  auto keys = LoadKeys(p.source);
  if (!keys.ok()) {
    log::Error(
        "provider keys not reloaded; the previous keys stay in use",
        {{"service", name}, {"code", keys.status().code()}, {"error", keys.status().message()}});
    return keys.status();
  }
  const size_t total = keys->size();
  const size_t active = p.ring->Replace(std::move(*keys));
  log::Info("provider keys reloaded", {{"service", name}, {"keys", total}, {"active", active}});
  return Status();
}

Status KeyRegistry::ReloadAll() {
  std::lock_guard lock(reload_mu_);
  Status first;
  for (auto& [name, p] : providers_) {
    Status s = Reload(name, p);
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

void KeyRegistry::PollLoop(int64_t poll_ms) {
  std::unique_lock stop_lock(stop_mu_);
  while (!stop_cv_.wait_for(stop_lock, std::chrono::milliseconds(poll_ms),
                            [&] { return stopping_; })) {
    std::lock_guard lock(reload_mu_);
    for (auto& entry : providers_) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
      const auto& name = entry.first;
      auto& p = entry.second;
      if (p.source.file.empty() || Identify(p.source.file) == p.file_id) continue;
      // Logged inside (or by the last resort); the old keys stay on failure.
      RunGuarded("provider key reload", [&] { (void)Reload(name, p); }, {{"service", name}});
    }
  }
}

}  // namespace ingestd
