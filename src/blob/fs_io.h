// POSIX file helpers for FsBlobStore: errno → Status mapping, durable directory creation,
// whole-file reads and full writes. Internal to the blob module.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace ingestd::fsio {

// ENOENT → kNotFound "BLOB_NOT_FOUND"; ENOSPC/EDQUOT → kUnavailable "BLOB_STORE_FULL";
// others → kInternal "BLOB_IO_ERROR". Logs errno and what; messages carry no paths.
Status IoError(int err, std::string_view what);

// Creates the directories of key's path below root (all segments but the last), fsyncing
// each new directory's parent so the new entries survive a crash.
Status EnsureParentDirs(const std::string& root, const std::string& key);

// fsync of a directory, making renames and unlinks in it durable.
Status FsyncDir(const std::string& dir);

// Writes all of data to fd, retrying short writes and EINTR.
Status WriteAll(int fd, std::string_view data);

Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace ingestd::fsio
