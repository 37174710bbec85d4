// PgBlobStore: blobs in PostgreSQL, for several machines sharing one database (the other
// multi-machine option is an FsBlobStore on a shared directory; see README "Running on
// PostgreSQL").
//
// Layout: blob_chunks holds the bytes in chunks of options.chunk_bytes, keyed by a
// generation number (a sequence) and a sequence number; blobs maps each key to the
// generation currently visible. A writer streams its chunks as they fill (holding no
// connection or transaction between them) and Commit switches the key to its generation and
// deletes the previous one's chunks, in one transaction serialized per key by an advisory
// lock: a reader (one statement, one snapshot) sees the old blob or the whole new one. An
// uncommitted writer deletes its chunks when destroyed; chunks a crashed writer left are
// swept when a store opens (unreferenced and older than stale_chunk_age).
//
// LocalPath copies the blob into cache_dir once per generation (a file per key and
// generation; a new generation gets a new file) and returns that path.
// Failures: as blob_store.h; database failures keep their kind and retryability
// (kUnavailable "DB_UNAVAILABLE"/"DB_BUSY"), other database errors are "BLOB_IO_ERROR".
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "blob/blob_store.h"
#include "blob/fs_blob_store.h"
#include "db/pg_pool.h"

namespace ingestd {

struct PgBlobStoreOptions {
  // Bytes per blob_chunks row. Bigger chunks mean fewer round trips; each is held in memory
  // twice while it is sent (and Get holds the whole blob).
  size_t chunk_bytes = 1 << 20;
  // Chunks of no committed blob older than this belong to a crashed writer.
  std::chrono::seconds stale_chunk_age = std::chrono::hours(1);
  pg::PgPoolOptions pool{.max_size = 4};
};

class PgBlobStore final : public BlobStore {
 public:
  // Creates the tables when missing (safe when many processes start at once) and sweeps
  // stale chunks. cache_dir is local to this machine (created when missing).
  static Result<std::unique_ptr<PgBlobStore>> Open(const std::string& url,
                                                   const std::string& cache_dir,
                                                   PgBlobStoreOptions options = {});

  Result<std::unique_ptr<BlobWriter>> NewWriter(std::string_view key) override;
  Status Put(std::string_view key, std::string_view data) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> LocalPath(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Status Ping() override;

 private:
  class Writer;
  struct Fetched {
    int64_t generation = 0;
    std::string bytes;
  };
  PgBlobStore(const std::string& url, PgBlobStoreOptions options,
              std::unique_ptr<FsBlobStore> cache)
      : options_(options), pool_(url, options.pool), cache_(std::move(cache)) {}
  Result<Fetched> Fetch(std::string_view key);
  // Removes this machine's cached copies of key (every generation).
  void DropCached(std::string_view key);

  const PgBlobStoreOptions options_;
  pg::PgPool pool_;
  std::unique_ptr<FsBlobStore> cache_;
};

}  // namespace ingestd
