// BlobStore: document bytes and parsed markdown, keyed by strings made from ids only
// ("documents/<uuid>.pdf"). Keys never come from user input such as filenames.
//
// Failures: kInvalidArgument "INVALID_BLOB_KEY" (key fails IsValidBlobKey), kNotFound
// "BLOB_NOT_FOUND", kUnavailable "BLOB_STORE_FULL" (out of space; retryable), kInternal
// "BLOB_IO_ERROR" (anything else), kConflict "BLOB_WRITER_CLOSED" (writer used after Commit or
// after a failure). Implementations are thread-safe; a BlobWriter is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ingestd {

// Streams one blob. Nothing is visible under the key until Commit() succeeds; a writer
// destroyed without Commit() removes everything it wrote.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes the blob durable (fsync) and visible under its key atomically (rename).
  virtual Status Commit() = 0;
  virtual int64_t bytes_written() const = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual Result<std::unique_ptr<BlobWriter>> NewWriter(std::string_view key) = 0;
  // Atomic whole-value write (temp file, fsync, rename).
  virtual Status Put(std::string_view key, std::string_view data) = 0;
  virtual Result<std::string> Get(std::string_view key) = 0;
  // A local file holding the blob, readable until the blob is deleted; for tools that want
  // a path (the PDF helper, multipart uploads to a provider).
  virtual Result<std::string> LocalPath(std::string_view key) = 0;
  // Deleting a missing key is OK.
  virtual Status Delete(std::string_view key) = 0;
  virtual Status Ping() = 0;
};

// Keys are [A-Za-z0-9._-] segments joined by '/', with no empty, "." or ".." segment, at
// most kMaxBlobKeyLength bytes, and no segment containing kBlobTempMarker (reserved for
// in-flight writes).
inline constexpr size_t kMaxBlobKeyLength = 512;
inline constexpr std::string_view kBlobTempMarker = ".tmp.";
bool IsValidBlobKey(std::string_view key);

// Filesystem backend rooted at dir (created if missing); see fs_blob_store.h.
Result<std::unique_ptr<BlobStore>> OpenFsBlobStore(const std::string& dir);

}  // namespace ingestd
