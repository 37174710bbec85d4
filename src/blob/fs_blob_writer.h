// FsBlobWriter: streams one blob into a temp file beside its final path; Commit() makes it
// durable and visible atomically (fsync, rename, fsync dir). Destroyed uncommitted, it
// removes the temp file. Not thread-safe (one writer, one thread).
#pragma once

#include <memory>
#include <string>

#include "blob/blob_store.h"

namespace ingestd {

class FsBlobWriter final : public BlobWriter {
 public:
  // final_path's directory must exist.
  static Result<std::unique_ptr<FsBlobWriter>> Create(const std::string& final_path);
  ~FsBlobWriter() override;
  FsBlobWriter(const FsBlobWriter&) = delete;
  FsBlobWriter& operator=(const FsBlobWriter&) = delete;

  Status Append(std::string_view data) override;
  Status Commit() override;
  int64_t bytes_written() const override { return bytes_; }

 private:
  FsBlobWriter(std::string final_path, std::string temp_path, int fd)
      : final_path_(std::move(final_path)), temp_path_(std::move(temp_path)), fd_(fd) {}
  // Closes the file and removes the temp file; the writer is unusable afterwards.
  void Abort();

  const std::string final_path_;
  const std::string temp_path_;
  int fd_;  // -1 once committed or aborted
  int64_t bytes_ = 0;
};

}  // namespace ingestd
