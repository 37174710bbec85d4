#include "blob/fs_blob_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "blob/fs_blob_writer.h"
#include "blob/fs_io.h"
#include "core/log.h"

namespace ingestd {

namespace fs = std::filesystem;

Result<std::unique_ptr<FsBlobStore>> FsBlobStore::Open(const std::string& root,
                                                       FsBlobStoreOptions options) {
  if (root.empty()) return Status::InvalidArgument("INVALID_BLOB_ROOT", "blob root is empty");
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return fsio::IoError(ec.value(), "create blob root");
  int removed = SweepStaleTempFiles(root, options.stale_temp_age);
  if (removed > 0) log::Info("removed stale blob temp files", {{"count", removed}});
  return std::unique_ptr<FsBlobStore>(new FsBlobStore(root));
}

Result<std::string> FsBlobStore::PathFor(std::string_view key) const {
  if (!IsValidBlobKey(key)) return Status::InvalidArgument("INVALID_BLOB_KEY", "invalid blob key");
  return root_ + "/" + std::string(key);
}

Result<std::unique_ptr<BlobWriter>> FsBlobStore::NewWriter(std::string_view key) {
  Result<std::string> path = PathFor(key);
  if (!path.ok()) return path.status();
  Status s = fsio::EnsureParentDirs(root_, std::string(key));
  if (!s.ok()) return s;
  Result<std::unique_ptr<FsBlobWriter>> writer = FsBlobWriter::Create(*path);
  if (!writer.ok()) return writer.status();
  return std::unique_ptr<BlobWriter>(std::move(*writer));
}

Status FsBlobStore::Put(std::string_view key, std::string_view data) {
  Result<std::unique_ptr<BlobWriter>> writer = NewWriter(key);
  if (!writer.ok()) return writer.status();
  Status s = (*writer)->Append(data);
  if (!s.ok()) return s;
  return (*writer)->Commit();
}

Result<std::string> FsBlobStore::Get(std::string_view key) {
  Result<std::string> path = PathFor(key);
  if (!path.ok()) return path.status();
  return fsio::ReadWholeFile(*path);
}

Result<std::string> FsBlobStore::LocalPath(std::string_view key) {
  Result<std::string> path = PathFor(key);
  if (!path.ok()) return path.status();
  struct stat st;
  if (::stat(path->c_str(), &st) != 0) return fsio::IoError(errno, "stat blob");
  if (!S_ISREG(st.st_mode)) return Status::NotFound("BLOB_NOT_FOUND", "blob not found");
  return path;
}

Status FsBlobStore::Delete(std::string_view key) {
  Result<std::string> path = PathFor(key);
  if (!path.ok()) return path.status();
  if (::unlink(path->c_str()) != 0 && errno != ENOENT) return fsio::IoError(errno, "delete blob");
  return Status();
}

Status FsBlobStore::Ping() {
  if (::access(root_.c_str(), R_OK | W_OK | X_OK) != 0) {
    return fsio::IoError(errno, "blob root not writable");
  }
  return Status();
}

int SweepStaleTempFiles(const std::string& root, std::chrono::seconds max_age) {
  const auto cutoff = fs::file_time_type::clock::now() - max_age;
  int removed = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec)) continue;
    if (it->path().filename().string().find(kBlobTempMarker) == std::string::npos) continue;
    auto mtime = it->last_write_time(entry_ec);
    if (entry_ec || mtime >= cutoff) continue;
    if (fs::remove(it->path(), entry_ec)) ++removed;
  }
  return removed;
}

Result<std::unique_ptr<BlobStore>> OpenFsBlobStore(const std::string& dir) {
  Result<std::unique_ptr<FsBlobStore>> store = FsBlobStore::Open(dir);
  if (!store.ok()) return store.status();
  return std::unique_ptr<BlobStore>(std::move(*store));
}

}  // namespace ingestd
