// KeyRegistry: the key rings of every provider, kept in step with their sources.
//
// Open loads each provider's KeySource into a KeyRing (a source that fails to load fails
// start-up). ReloadAll (on SIGHUP) rereads every source; a thread also polls each key file's
// identity (mtime, size, inode) every poll_ms and reloads that provider's ring when it
// changes. A reload that fails (file missing, malformed) logs why and leaves the ring as it
// was, so a half-written key file never empties a ring. Calls in flight keep the key they
// hold (KeyRing's snapshots).
//
// Thread-safe. Destruction stops the poll thread.
#pragma once

#include <sys/stat.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "services/keys/key_ring.h"
#include "services/keys/key_source.h"

namespace ingestd {

class KeyRegistry {
 public:
  // providers: name ("openai", "llamaparse") → source; unconfigured sources are skipped (no
  // ring). poll_ms <= 0: no polling (reloads only through ReloadAll).
  static Result<std::unique_ptr<KeyRegistry>> Open(std::map<std::string, KeySource> providers,
                                                   int64_t poll_ms = 1'000,
                                                   const Clock* clock = nullptr);
  ~KeyRegistry();
  KeyRegistry(const KeyRegistry&) = delete;
  KeyRegistry& operator=(const KeyRegistry&) = delete;

  // The provider's ring; null when it has no configured keys. Owned by the registry.
  KeyRing* ring(const std::string& provider) const;
  // Every ring by provider name, for health reports.
  std::map<std::string, const KeyRing*> rings() const;

  // Every ring tells listener when a key leaves rotation (KeyRevocation::service names it).
  void SetListener(const RevocationListener& listener);

  // Rereads every source now. Returns the first failure (the other rings still reload).
  Status ReloadAll();

 private:
  struct FileId {
    bool exists = false;
    int64_t mtime_ns = 0, size = 0, inode = 0;
    bool operator==(const FileId&) const = default;
  };
  struct Provider {
    KeySource source;
    std::unique_ptr<KeyRing> ring;
    FileId file_id;  // guarded by reload_mu_
  };

  KeyRegistry() = default;
  static FileId Identify(const std::string& path);
  Status Reload(const std::string& name, Provider& p);  // reload_mu_ held
  void PollLoop(int64_t poll_ms);

  std::map<std::string, Provider> providers_;  // fixed after Open
  std::mutex reload_mu_;                       // one reload at a time
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::thread poller_;
};

}  // namespace ingestd
