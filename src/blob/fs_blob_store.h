// FsBlobStore: blobs as files under a root directory, one file per key (the key is the
// relative path, which IsValidBlobKey keeps inside the root).
//
// Writes go to "<key>.tmp.<random hex>" beside the target, then fsync(file), rename(2) onto
// the key and fsync(directory): a reader sees the old blob or the whole new one, never a
// part, and a committed blob survives a crash. A crash mid-write leaves a temp file;
// opening the store removes temp files older than stale_temp_age (younger ones may belong
// to a live writer in another process sharing the root).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "blob/blob_store.h"

namespace ingestd {

struct FsBlobStoreOptions {
  // Temp files older than this are left-overs of a crashed writer; uploads never take
  // this long between their first and last byte.
  std::chrono::seconds stale_temp_age = std::chrono::hours(1);
};

class FsBlobStore final : public BlobStore {
 public:
  // Creates root if missing and sweeps stale temp files. Thread-safe afterwards.
  static Result<std::unique_ptr<FsBlobStore>> Open(const std::string& root,
                                                   FsBlobStoreOptions options = {});

  Result<std::unique_ptr<BlobWriter>> NewWriter(std::string_view key) override;
  Status Put(std::string_view key, std::string_view data) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> LocalPath(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Status Ping() override;

  const std::string& root() const { return root_; }

 private:
  explicit FsBlobStore(std::string root) : root_(std::move(root)) {}
  // root/key after validating key.
  Result<std::string> PathFor(std::string_view key) const;

  const std::string root_;
};

// Removes regular files under root whose name contains kBlobTempMarker and whose mtime is
// older than max_age. Returns how many were removed. Exposed for tests.
int SweepStaleTempFiles(const std::string& root, std::chrono::seconds max_age);

}  // namespace ingestd
