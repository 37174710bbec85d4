// UploadSink: where uploaded bytes stream — into a BlobWriter, while hashing them, counting
// them against a cap and checking the PDF magic bytes as soon as they arrive.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "blob/blob_store.h"
#include "core/crypto.h"
#include "core/status.h"

namespace ingestd::api {

class UploadSink {
 public:
  // Appending past max_bytes fails with `overflow` (e.g. 413 FILE_TOO_LARGE).
  UploadSink(std::unique_ptr<BlobWriter> writer, int64_t max_bytes, Status overflow);

  Status Append(std::string_view data);
  // Ends the stream: checks it is non-empty and a PDF, and computes the digest.
  Status Close();
  // Makes the blob visible under its key. Without it, destruction discards the bytes.
  Status Commit() { return writer_->Commit(); }

  int64_t size() const { return size_; }
  const std::string& sha256() const { return sha256_; }

 private:
  std::unique_ptr<BlobWriter> writer_;
  int64_t max_bytes_;
  Status overflow_;
  Sha256 hash_;
  std::string head_;  // the first bytes, until the magic can be checked
  int64_t size_ = 0;
  std::string sha256_;
};

}  // namespace ingestd::api
