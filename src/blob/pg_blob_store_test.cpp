// PgBlobStore on the throw-away test cluster: chunked round trips, atomic visibility of a
// streamed blob, overwrites, deletes, local copies, and two machines sharing the blobs.
#include "blob/pg_blob_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/crypto.h"
#include "db/pg_conn.h"
#include "db/pg_test_support.h"

namespace ingestd {
namespace {

namespace fs = std::filesystem;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PgBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = pg::CreateTestDatabase();
    ASSERT_FALSE(url_.empty());
    cache_ = (fs::temp_directory_path() / ("ingestd-pgblob-" + HexEncode(RandomBytes(6)))).string();
    store_ = Open(cache_ + "/a");
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    pg::DropTestDatabase(url_);
    fs::remove_all(cache_);
  }
  // A store with tiny chunks, so every test crosses chunk boundaries.
  std::unique_ptr<PgBlobStore> Open(const std::string& cache_dir) {
    PgBlobStoreOptions options;
    options.chunk_bytes = 7;
    auto s = PgBlobStore::Open(url_, cache_dir, options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  int64_t ChunkRows() {
    auto conn = pg::PgConn::Connect(url_);
    auto r = (*conn)->Query("SELECT count(*) FROM blob_chunks", {});
    return r.ok() ? r->Int(0, 0) : -1;
  }

  std::string url_;
  std::string cache_;
  std::unique_ptr<PgBlobStore> store_;
};

TEST_F(PgBlobStoreTest, PutGetRoundTripsAcrossChunks) {
  std::string bytes = RandomBytes(100);
  bytes[3] = '\0';  // binary-safe
  ASSERT_TRUE(store_->Put("documents/a.pdf", bytes).ok());
  EXPECT_EQ(*store_->Get("documents/a.pdf"), bytes);
  EXPECT_EQ(ChunkRows(), 15);  // ceil(100 / 7)
  ASSERT_TRUE(store_->Put("markdown/empty.md", "").ok());
  auto empty = store_->Get("markdown/empty.md");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, "");
  EXPECT_TRUE(store_->Ping().ok());
}

TEST_F(PgBlobStoreTest, AStreamedBlobAppearsOnlyOnCommit) {
  auto w = store_->NewWriter("documents/s.pdf");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("hello, ").ok());
  ASSERT_TRUE((*w)->Append("streamed world").ok());
  EXPECT_EQ(store_->Get("documents/s.pdf").status().code(), "BLOB_NOT_FOUND");
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ((*w)->bytes_written(), 21);
  EXPECT_EQ(*store_->Get("documents/s.pdf"), "hello, streamed world");
  EXPECT_EQ((*w)->Append("more").code(), "BLOB_WRITER_CLOSED");
}

TEST_F(PgBlobStoreTest, AnAbandonedWriterLeavesNothing) {
  {
    auto w = store_->NewWriter("documents/gone.pdf");
    ASSERT_TRUE((*w)->Append(std::string(50, 'x')).ok());
    EXPECT_GT(ChunkRows(), 0);
  }
  EXPECT_EQ(ChunkRows(), 0);
  EXPECT_EQ(store_->Get("documents/gone.pdf").status().code(), "BLOB_NOT_FOUND");
}

TEST_F(PgBlobStoreTest, OverwriteReplacesAndFreesTheOldChunks) {
  ASSERT_TRUE(store_->Put("markdown/m.md", std::string(70, 'a')).ok());
  ASSERT_TRUE(store_->Put("markdown/m.md", "short").ok());
  EXPECT_EQ(*store_->Get("markdown/m.md"), "short");
  EXPECT_EQ(ChunkRows(), 1);
  ASSERT_TRUE(store_->Delete("markdown/m.md").ok());
  EXPECT_EQ(store_->Get("markdown/m.md").status().code(), "BLOB_NOT_FOUND");
  EXPECT_EQ(ChunkRows(), 0);
  EXPECT_TRUE(store_->Delete("markdown/m.md").ok());  // missing is OK
}

TEST_F(PgBlobStoreTest, KeysAreValidated) {
  for (const char* key : {"../etc/passwd", "", "a//b", "x.tmp.1"}) {
    EXPECT_EQ(store_->Put(key, "x").code(), "INVALID_BLOB_KEY") << key;
    EXPECT_EQ(store_->Get(key).status().code(), "INVALID_BLOB_KEY") << key;
  }
}

TEST_F(PgBlobStoreTest, LocalPathFollowsTheCurrentGeneration) {
  ASSERT_TRUE(store_->Put("documents/p.pdf", "first version").ok());
  auto path = store_->LocalPath("documents/p.pdf");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(ReadWhole(*path), "first version");
  ASSERT_TRUE(store_->Put("documents/p.pdf", "second").ok());
  EXPECT_FALSE(fs::exists(*path));  // the stale copy is gone
  auto again = store_->LocalPath("documents/p.pdf");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ReadWhole(*again), "second");
  ASSERT_TRUE(store_->Delete("documents/p.pdf").ok());
  EXPECT_FALSE(fs::exists(*again));
  EXPECT_EQ(store_->LocalPath("documents/p.pdf").status().code(), "BLOB_NOT_FOUND");
}

TEST_F(PgBlobStoreTest, TwoMachinesShareBlobs) {
  std::unique_ptr<PgBlobStore> other = Open(cache_ + "/b");  // its own local cache
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(store_->Put("documents/shared.pdf", "made on a").ok());
  EXPECT_EQ(*other->Get("documents/shared.pdf"), "made on a");
  auto path = other->LocalPath("documents/shared.pdf");
  ASSERT_TRUE(path.ok());
  EXPECT_TRUE(path->starts_with(cache_ + "/b"));
  EXPECT_EQ(ReadWhole(*path), "made on a");
  ASSERT_TRUE(other->Delete("documents/shared.pdf").ok());
  EXPECT_EQ(store_->Get("documents/shared.pdf").status().code(), "BLOB_NOT_FOUND");
}

}  // namespace
}  // namespace ingestd
