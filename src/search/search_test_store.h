// For the search module's tests (SearchIndex, KeywordIndex): a fresh SQLite store per test,
// and completed documents stored in it the way the worker stores them (one CommitStage).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/ids.h"
#include "store/store.h"

namespace ingestd::search {

class SearchStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ingestd-search-" + HexEncode(RandomBytes(6)));
    std::filesystem::create_directories(dir_);
    auto store = OpenStore("sqlite://" + (dir_ / "ingestd.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate().ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A completed document of user, chunk i holding texts[i] and the vector vectors[i] of
  // model; returns the document id and the chunk ids.
  std::pair<std::string, std::vector<std::string>> StoreChunks(
      const std::string& user, const std::string& model, const std::vector<std::string>& texts,
      const std::vector<std::vector<float>>& vectors) {
    Document doc;
    doc.id = NewUuidV4();
    doc.user_id = user;
    doc.filename = user + ".pdf";
    doc.mime = "application/pdf";
    doc.sha256 = Sha256Hex(RandomBytes(8));
    Job job;
    job.id = NewUuidV4();
    job.document_id = doc.id;
    job.user_id = user;
    job.status = JobStatus::kUploaded;
    job.correlation_id = NewUuidV4();
    EXPECT_TRUE(store_->CreateUpload(doc, job, ++now_).ok());
    auto claimed = store_->ClaimNext("w", now_, 60'000);
    EXPECT_TRUE(claimed.ok() && claimed->has_value());
    StageCommit c;
    c.job_id = job.id;
    c.worker_id = "w";
    c.to = JobStatus::kComplete;
    c.next_state = QueueState::kDone;
    c.now_ms = now_;
    std::vector<Chunk> chunks;
    std::vector<std::string> ids;
    for (size_t i = 0; i < texts.size(); ++i) {
      Chunk chunk;
      chunk.id = UuidV5(doc.id, std::to_string(i));
      chunk.document_id = doc.id;
      chunk.ord = static_cast<int>(i);
      chunk.text = texts[i];
      chunk.token_count = 2;
      chunks.push_back(chunk);
      ids.push_back(chunk.id);
      c.vectors.push_back({chunk.id, doc.id, model, vectors[i]});
    }
    c.chunks = chunks;
    Status s = store_->CommitStage(c);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return {doc.id, ids};
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  int64_t now_ = 1'000;
};

}  // namespace ingestd::search
