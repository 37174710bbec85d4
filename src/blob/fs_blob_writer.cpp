#include "blob/fs_blob_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "blob/fs_io.h"
#include "core/crypto.h"

namespace ingestd {
namespace {

Status WriterClosed() {
  return Status::Conflict("BLOB_WRITER_CLOSED", "blob writer already committed or failed");
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

Result<std::unique_ptr<FsBlobWriter>> FsBlobWriter::Create(const std::string& final_path) {
  std::string temp = final_path + std::string(kBlobTempMarker) + HexEncode(RandomBytes(8));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return fsio::IoError(errno, "create blob temp file");
  return std::unique_ptr<FsBlobWriter>(new FsBlobWriter(final_path, std::move(temp), fd));
}

FsBlobWriter::~FsBlobWriter() { Abort(); }

void FsBlobWriter::Abort() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  ::unlink(temp_path_.c_str());
}

Status FsBlobWriter::Append(std::string_view data) {
  if (fd_ < 0) return WriterClosed();
  Status s = fsio::WriteAll(fd_, data);
  if (!s.ok()) {
    Abort();  // a partial write must never be committed
    return s;
  }
  bytes_ += static_cast<int64_t>(data.size());
  return Status();
}

Status FsBlobWriter::Commit() {
  if (fd_ < 0) return WriterClosed();
  if (::fsync(fd_) != 0) {
    Status s = fsio::IoError(errno, "fsync blob");
    Abort();
    return s;
  }
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0 || ::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    Status s = fsio::IoError(errno, "publish blob");
    ::unlink(temp_path_.c_str());
    return s;
  }
  return fsio::FsyncDir(DirOf(final_path_));
}

}  // namespace ingestd
