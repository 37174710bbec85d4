#include "blob/fs_blob_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"

namespace ingestd {
namespace {

namespace fs = std::filesystem;

class FsBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (fs::temp_directory_path() / ("ingestd-blob-" + HexEncode(RandomBytes(6)))).string();
    auto store = FsBlobStore::Open(root_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Every regular file under the root, as relative paths.
  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root_)) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root_).string());
    }
    return out;
  }

  std::string root_;
  std::unique_ptr<FsBlobStore> store_;
};

TEST_F(FsBlobStoreTest, PutGetRoundTripsBinaryData) {
  std::string data = RandomBytes(100000) + std::string("\0tail", 5);
  ASSERT_TRUE(store_->Put("documents/a.pdf", data).ok());
  auto got = store_->Get("documents/a.pdf");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, data);
  EXPECT_EQ(Files(), std::vector<std::string>{"documents/a.pdf"});
}

TEST_F(FsBlobStoreTest, PutReplacesAnExistingBlob) {
  ASSERT_TRUE(store_->Put("k", "old").ok());
  ASSERT_TRUE(store_->Put("k", "new").ok());
  EXPECT_EQ(*store_->Get("k"), "new");
}

TEST_F(FsBlobStoreTest, WriterIsInvisibleUntilCommit) {
  auto w = store_->NewWriter("documents/b.pdf");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("hello ").ok());
  ASSERT_TRUE((*w)->Append("world").ok());
  EXPECT_EQ((*w)->bytes_written(), 11);
  EXPECT_EQ(store_->Get("documents/b.pdf").status().code(), "BLOB_NOT_FOUND");
  EXPECT_EQ(store_->LocalPath("documents/b.pdf").status().code(), "BLOB_NOT_FOUND");
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(*store_->Get("documents/b.pdf"), "hello world");
  auto path = store_->LocalPath("documents/b.pdf");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, root_ + "/documents/b.pdf");
  std::ifstream in(*path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "hello world");
  EXPECT_EQ(Files(), std::vector<std::string>{"documents/b.pdf"});  // no temp file left
}

TEST_F(FsBlobStoreTest, WriterUsedAfterCommitFails) {
  auto w = store_->NewWriter("k");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ((*w)->Append("x").code(), "BLOB_WRITER_CLOSED");
  EXPECT_EQ((*w)->Commit().code(), "BLOB_WRITER_CLOSED");
  EXPECT_EQ(*store_->Get("k"), "");
}

TEST_F(FsBlobStoreTest, AbandonedWriterLeavesNothing) {
  {
    auto w = store_->NewWriter("documents/c.pdf");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(std::string(1 << 20, 'x')).ok());
    EXPECT_EQ(Files().size(), 1u);  // the temp file
  }
  EXPECT_TRUE(Files().empty());
  EXPECT_EQ(store_->Get("documents/c.pdf").status().kind(), Kind::kNotFound);
}

TEST_F(FsBlobStoreTest, AbandonedWriterKeepsThePreviousBlob) {
  ASSERT_TRUE(store_->Put("k", "v1").ok());
  {
    auto w = store_->NewWriter("k");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append("v2-partial").ok());
  }
  EXPECT_EQ(*store_->Get("k"), "v1");
}

TEST_F(FsBlobStoreTest, InvalidKeysAreRejectedEverywhere) {
  for (const char* key : {"../escape", "/abs", "a//b", "", "a/./b", "x.tmp.1"}) {
    EXPECT_EQ(store_->Put(key, "x").code(), "INVALID_BLOB_KEY") << key;
    EXPECT_EQ(store_->NewWriter(key).status().code(), "INVALID_BLOB_KEY") << key;
    EXPECT_EQ(store_->Get(key).status().code(), "INVALID_BLOB_KEY") << key;
    EXPECT_EQ(store_->LocalPath(key).status().code(), "INVALID_BLOB_KEY") << key;
    EXPECT_EQ(store_->Delete(key).code(), "INVALID_BLOB_KEY") << key;
  }
  EXPECT_FALSE(fs::exists(fs::path(root_).parent_path() / "escape"));
}

TEST_F(FsBlobStoreTest, DeleteRemovesAndMissingIsOk) {
  ASSERT_TRUE(store_->Put("markdown/m.md", "# hi").ok());
  EXPECT_TRUE(store_->Delete("markdown/m.md").ok());
  EXPECT_EQ(store_->Get("markdown/m.md").status().kind(), Kind::kNotFound);
  EXPECT_TRUE(store_->Delete("markdown/m.md").ok());
  EXPECT_TRUE(store_->Delete("never/existed").ok());
}

TEST_F(FsBlobStoreTest, GetOfADirectoryIsNotFound) {
  ASSERT_TRUE(store_->Put("documents/a.pdf", "x").ok());
  EXPECT_EQ(store_->Get("documents").status().kind(), Kind::kNotFound);
  EXPECT_EQ(store_->LocalPath("documents").status().kind(), Kind::kNotFound);
}

TEST_F(FsBlobStoreTest, PingChecksTheRoot) {
  EXPECT_TRUE(store_->Ping().ok());
  fs::remove_all(root_);
  EXPECT_FALSE(store_->Ping().ok());
}

TEST_F(FsBlobStoreTest, ConcurrentWritersOfOneKeyLeaveOneWholeValue) {
  std::vector<std::thread> threads;
  std::vector<std::string> values;
  for (int i = 0; i < 8; ++i) values.push_back(std::string(50000, static_cast<char>('a' + i)));
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back(
        [&, i] { EXPECT_TRUE(store_->Put("documents/same.pdf", values[i]).ok()); });
  }
  for (auto& t : threads) t.join();
  auto got = store_->Get("documents/same.pdf");
  ASSERT_TRUE(got.ok());
  EXPECT_NE(std::find(values.begin(), values.end(), *got), values.end());
  EXPECT_EQ(Files().size(), 1u);
}

TEST_F(FsBlobStoreTest, OpenSweepsOnlyStaleTempFiles) {
  fs::create_directories(root_ + "/documents");
  std::ofstream(root_ + "/documents/x.pdf.tmp.old") << "partial";
  std::ofstream(root_ + "/documents/y.pdf.tmp.young") << "in flight";
  std::ofstream(root_ + "/documents/z.pdf") << "committed, old";
  auto old = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(root_ + "/documents/x.pdf.tmp.old", old);
  fs::last_write_time(root_ + "/documents/z.pdf", old);
  auto reopened = FsBlobStore::Open(root_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(fs::exists(root_ + "/documents/x.pdf.tmp.old"));
  EXPECT_TRUE(fs::exists(root_ + "/documents/y.pdf.tmp.young"));
  EXPECT_TRUE(fs::exists(root_ + "/documents/z.pdf"));
}

TEST(OpenFsBlobStore, CreatesTheRootDirectory) {
  std::string root =
      (fs::temp_directory_path() / ("ingestd-blob-" + HexEncode(RandomBytes(6))) / "nested")
          .string();
  auto store = OpenFsBlobStore(root);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(fs::is_directory(root));
  EXPECT_TRUE((*store)->Put("k", "v").ok());
  fs::remove_all(fs::path(root).parent_path());
}

}  // namespace
}  // namespace ingestd
