#include "blob/pg_blob_store.h"

#include <filesystem>
#include <system_error>

#include "core/log.h"

namespace ingestd {
namespace {

// Advisory lock key of the schema creation ("blobs!!!" in ASCII).
constexpr int64_t kSchemaLockKey = 0x626c6f6273212121;

constexpr char kSchemaLock[] = "SELECT pg_advisory_xact_lock($1::bigint)";
constexpr char kCreateSchema[] = R"sql(
CREATE SEQUENCE IF NOT EXISTS blob_generations;
CREATE TABLE IF NOT EXISTS blobs (
  key        text COLLATE "C" PRIMARY KEY,
  generation bigint NOT NULL,
  size       bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS blob_chunks (
  generation bigint NOT NULL,
  seq        integer NOT NULL,
  data       bytea NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (generation, seq)
);
)sql";
constexpr char kSweepStale[] =
    "DELETE FROM blob_chunks c WHERE written_at < now() - make_interval(secs => $1::bigint)"
    " AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.generation = c.generation)";
constexpr char kNextGeneration[] = "SELECT nextval('blob_generations')";
constexpr char kInsertChunk[] =
    "INSERT INTO blob_chunks (generation, seq, data) VALUES ($1::bigint, $2::integer, $3)";
constexpr char kDeleteGeneration[] = "DELETE FROM blob_chunks WHERE generation = $1::bigint";
// Commits and deletes of one key queue on this lock, so none loses track of a generation.
constexpr char kKeyLock[] = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
constexpr char kCurrentGeneration[] = "SELECT generation FROM blobs WHERE key = $1";
constexpr char kUpsertBlob[] =
    "INSERT INTO blobs (key, generation, size) VALUES ($1, $2::bigint, $3::bigint)"
    " ON CONFLICT (key) DO UPDATE SET generation = excluded.generation, size = excluded.size";
constexpr char kDeleteBlob[] = "DELETE FROM blobs WHERE key = $1 RETURNING generation";
// One statement, one snapshot: the chunks of the generation visible at that moment. Read
// with binary results (text and bytea arrive as raw bytes); the LEFT JOIN yields one row
// with a NULL chunk for an empty blob.
constexpr char kFetch[] =
    "SELECT b.generation::text, c.data FROM blobs b"
    " LEFT JOIN blob_chunks c ON c.generation = b.generation WHERE b.key = $1 ORDER BY c.seq";
constexpr char kPing[] = "SELECT 1";

Status BlobError(const Status& s) {
  if (s.kind() == Kind::kInternal) return Status::Internal("BLOB_IO_ERROR", "blob database error");
  return s;
}

Status InvalidKey() { return Status::InvalidArgument("INVALID_BLOB_KEY", "invalid blob key"); }
Status NotFound() { return Status::NotFound("BLOB_NOT_FOUND", "blob not found"); }

int64_t ParseInt(std::string_view s) {
  int64_t v = 0;
  for (char ch : s) v = v * 10 + (ch - '0');
  return v;
}

}  // namespace

class PgBlobStore::Writer final : public BlobWriter {
 public:
  Writer(PgBlobStore* store, std::string key, int64_t generation)
      : store_(store), key_(std::move(key)), generation_(generation) {}
  ~Writer() override {
    if (open_ && seq_ > 0) Abort();
  }

  Status Append(std::string_view data) override {
    if (!open_) return Closed();
    bytes_ += static_cast<int64_t>(data.size());
    while (!data.empty()) {
      const size_t take = std::min(data.size(), store_->options_.chunk_bytes - buffer_.size());
      buffer_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (buffer_.size() == store_->options_.chunk_bytes) {
        if (Status s = Flush(); !s.ok()) return Fail(s);
      }
    }
    return Status();
  }

  Status Commit() override {
    if (!open_) return Closed();
    if (!buffer_.empty()) {
      if (Status s = Flush(); !s.ok()) return Fail(s);
    }
    int64_t previous = -1;
    Status s = store_->pool_.Transaction([&](pg::PgConn& c) -> Status {
      if (auto r = c.Query(kKeyLock, pg::PgParams().Add(key_)); !r.ok()) return r.status();
      auto cur = c.Query(kCurrentGeneration, pg::PgParams().Add(key_));
      if (!cur.ok()) return cur.status();
      previous = cur->rows() > 0 ? cur->Int(0, 0) : -1;
      auto up = c.Query(kUpsertBlob, pg::PgParams().Add(key_).Add(generation_).Add(bytes_));
      if (!up.ok()) return up.status();
      if (previous >= 0) {
        auto del = c.Query(kDeleteGeneration, pg::PgParams().Add(previous));
        if (!del.ok()) return del.status();
      }
      return Status();
    });
    if (!s.ok()) return Fail(BlobError(s));
    open_ = false;
    store_->DropCached(key_);  // this machine's copy of the previous generation
    return Status();
  }

  int64_t bytes_written() const override { return bytes_; }

 private:
  static Status Closed() {
    return Status::Conflict("BLOB_WRITER_CLOSED", "the blob writer is closed");
  }
  Status Flush() {
    Result<pg::PooledConn> conn = store_->pool_.Acquire();
    if (!conn.ok()) return BlobError(conn.status());
    auto r =
        (*conn)->Query(kInsertChunk, pg::PgParams().Add(generation_).Add(seq_).AddBytes(buffer_));
    if (!r.ok()) return BlobError(r.status());
    ++seq_;
    buffer_.clear();
    return Status();
  }
  Status Fail(Status s) {
    Abort();
    return s;
  }
  // Deletes the chunks written so far (best effort: the open-time sweep catches the rest).
  void Abort() {
    open_ = false;
    buffer_.clear();
    Result<pg::PooledConn> conn = store_->pool_.Acquire();
    if (conn.ok()) (void)(*conn)->Query(kDeleteGeneration, pg::PgParams().Add(generation_));
  }

  PgBlobStore* store_;
  const std::string key_;
  const int64_t generation_;
  std::string buffer_;
  int seq_ = 0;
  int64_t bytes_ = 0;
  bool open_ = true;
};

Result<std::unique_ptr<PgBlobStore>> PgBlobStore::Open(const std::string& url,
                                                       const std::string& cache_dir,
                                                       PgBlobStoreOptions options) {
  if (options.chunk_bytes == 0) {
    return Status::InvalidArgument("BAD_CONFIG", "blob chunk size must be positive");
  }
  Result<std::unique_ptr<FsBlobStore>> cache = FsBlobStore::Open(cache_dir);
  if (!cache.ok()) return cache.status();
  std::unique_ptr<PgBlobStore> store(new PgBlobStore(url, options, std::move(*cache)));
  Status s = store->pool_.Transaction([&](pg::PgConn& c) -> Status {
    // CREATE … IF NOT EXISTS alone races between processes starting at once.
    if (auto r = c.Query(kSchemaLock, pg::PgParams().Add(kSchemaLockKey)); !r.ok()) {
      return r.status();
    }
    if (Status e = c.Exec(kCreateSchema); !e.ok()) return e;
    auto swept = c.Query(kSweepStale,
                         pg::PgParams().Add(static_cast<int64_t>(options.stale_chunk_age.count())));
    if (!swept.ok()) return swept.status();
    if (swept->Affected() > 0) {
      log::Info("swept blob chunks of crashed writers", {{"rows", swept->Affected()}});
    }
    return Status();
  });
  if (!s.ok()) return BlobError(s);
  return store;
}

Result<std::unique_ptr<BlobWriter>> PgBlobStore::NewWriter(std::string_view key) {
  if (!IsValidBlobKey(key)) return InvalidKey();
  Result<pg::PooledConn> conn = pool_.Acquire();
  if (!conn.ok()) return BlobError(conn.status());
  auto gen = (*conn)->Query(kNextGeneration, {});
  if (!gen.ok()) return BlobError(gen.status());
  return std::unique_ptr<BlobWriter>(new Writer(this, std::string(key), gen->Int(0, 0)));
}

Status PgBlobStore::Put(std::string_view key, std::string_view data) {
  Result<std::unique_ptr<BlobWriter>> w = NewWriter(key);
  if (!w.ok()) return w.status();
  if (Status s = (*w)->Append(data); !s.ok()) return s;
  return (*w)->Commit();
}

Result<PgBlobStore::Fetched> PgBlobStore::Fetch(std::string_view key) {
  if (!IsValidBlobKey(key)) return InvalidKey();
  Result<pg::PooledConn> conn = pool_.Acquire();
  if (!conn.ok()) return BlobError(conn.status());
  auto res = (*conn)->Query(kFetch, pg::PgParams().Add(key), pg::ResultFormat::kBinary);
  if (!res.ok()) return BlobError(res.status());
  if (res->rows() == 0) return NotFound();
  Fetched out;
  out.generation = ParseInt(res->Bytes(0, 0));
  for (int i = 0; i < res->rows(); ++i) {
    if (!res->IsNull(i, 1)) out.bytes.append(res->Bytes(i, 1));
  }
  return out;
}

Result<std::string> PgBlobStore::Get(std::string_view key) {
  Result<Fetched> f = Fetch(key);
  if (!f.ok()) return f.status();
  return std::move(f->bytes);
}

Result<std::string> PgBlobStore::LocalPath(std::string_view key) {
  if (!IsValidBlobKey(key)) return InvalidKey();
  {
    Result<pg::PooledConn> conn = pool_.Acquire();
    if (!conn.ok()) return BlobError(conn.status());
    auto gen = (*conn)->Query(kCurrentGeneration, pg::PgParams().Add(key));
    if (!gen.ok()) return BlobError(gen.status());
    if (gen->rows() == 0) return NotFound();
    // A cached copy of the current generation: no download.
    auto cached = cache_->LocalPath(std::string(key) + ".g" + std::to_string(gen->Int(0, 0)));
    if (cached.ok()) return cached;
  }
  Result<Fetched> f = Fetch(key);
  if (!f.ok()) return f.status();
  const std::string cache_key = std::string(key) + ".g" + std::to_string(f->generation);
  if (Status s = cache_->Put(cache_key, f->bytes); !s.ok()) return s;
  return cache_->LocalPath(cache_key);
}

Status PgBlobStore::Delete(std::string_view key) {
  if (!IsValidBlobKey(key)) return InvalidKey();
  Status s = pool_.Transaction([&](pg::PgConn& c) -> Status {
    if (auto r = c.Query(kKeyLock, pg::PgParams().Add(key)); !r.ok()) return r.status();
    auto gone = c.Query(kDeleteBlob, pg::PgParams().Add(key));
    if (!gone.ok()) return gone.status();
    if (gone->rows() == 0) return Status();  // deleting a missing key is OK
    auto del = c.Query(kDeleteGeneration, pg::PgParams().Add(gone->Int(0, 0)));
    return del.ok() ? Status() : del.status();
  });
  if (!s.ok()) return BlobError(s);
  DropCached(key);
  return Status();
}

Status PgBlobStore::Ping() {
  Result<pg::PooledConn> conn = pool_.Acquire();
  if (!conn.ok()) return BlobError(conn.status());
  auto r = (*conn)->Query(kPing, {});
  return r.ok() ? Status() : BlobError(r.status());
}

void PgBlobStore::DropCached(std::string_view key) {
  namespace fs = std::filesystem;
  const fs::path path = fs::path(cache_->root()) / std::string(key);
  const std::string prefix = path.filename().string() + ".g";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > prefix.size() && name.starts_with(prefix) &&
        name.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
      fs::remove(entry.path(), ec);
    }
  }
}

}  // namespace ingestd
