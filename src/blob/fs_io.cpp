#include "blob/fs_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace ingestd::fsio {
namespace {

// Closes fd on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

Status IoError(int err, std::string_view what) {
  if (err == ENOENT) return Status::NotFound("BLOB_NOT_FOUND", "blob not found");
  log::Error("blob store i/o error", {{"op", what}, {"errno", err}, {"error", std::strerror(err)}});
  if (err == ENOSPC || err == EDQUOT) {
    return Status::Unavailable("BLOB_STORE_FULL", "blob storage is full");
  }
  return Status::Internal("BLOB_IO_ERROR", "blob storage error");
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError(errno, "open dir for fsync");
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return IoError(errno, "fsync dir");
  return Status();
}

Status EnsureParentDirs(const std::string& root, const std::string& key) {
  std::string parent = root;
  size_t start = 0;
  for (size_t slash = key.find('/'); slash != std::string::npos; slash = key.find('/', start)) {
    std::string dir = root + "/" + key.substr(0, slash);
    if (::mkdir(dir.c_str(), 0750) == 0) {
      Status s = FsyncDir(parent);
      if (!s.ok()) return s;
    } else if (errno != EEXIST) {
      return IoError(errno, "create blob dir");
    }
    parent = std::move(dir);
    start = slash + 1;
  }
  return Status();
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(errno, "write blob");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(errno, "open blob");
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return IoError(errno, "stat blob");
  if (!S_ISREG(st.st_mode)) return Status::NotFound("BLOB_NOT_FOUND", "blob not found");
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(errno, "read blob");
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace ingestd::fsio
