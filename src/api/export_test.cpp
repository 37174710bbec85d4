// GET /api/v1/export's stream over a real SQLite store: vectors that arrive after their
// chunks were exported send the chunk again (include=vectors), paging across the store's
// pages sends every change, and only the caller's chunks are sent — on SQLite and on
// PostgreSQL (the pg_cluster fixture).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "api/handlers.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "db/pg_test_support.h"

namespace ingestd::api {
namespace {

namespace fs = std::filesystem;

class ExportStreamTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      dir_ = fs::temp_directory_path() / ("ingestd-export-" + HexEncode(RandomBytes(6)));
      fs::create_directories(dir_);
      url_ = "sqlite://" + (dir_ / "ingestd.db").string();
    } else {
      url_ = pg::CreateTestDatabase();
      ASSERT_FALSE(url_.empty());
    }
    auto store = OpenStore(url_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate().ok());
    ctx_.store = store_.get();
  }
  void TearDown() override {
    store_.reset();
    if (GetParam() == "sqlite") {
      fs::remove_all(dir_);
    } else if (!url_.empty()) {
      pg::DropTestDatabase(url_);
    }
  }

  // A document of user with n chunks, committed to chunks_stored (no vectors yet); returns
  // the job id and the chunks.
  std::pair<std::string, std::vector<Chunk>> StoreChunks(const std::string& user, int n) {
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
    EXPECT_TRUE(store_->CreateUpload(doc, job, 1000).ok());
    auto claimed = store_->ClaimNext("w", 1000, 60'000);
    EXPECT_TRUE(claimed.ok() && claimed->has_value());
    std::vector<Chunk> chunks;
    for (int i = 0; i < n; ++i) {
      Chunk c;
      c.id = UuidV5(doc.id, std::to_string(i));
      c.document_id = doc.id;
      c.ord = i;
      c.text = "chunk " + std::to_string(i);
      c.token_count = 2;
      chunks.push_back(c);
    }
    StageCommit commit;
    commit.job_id = job.id;
    commit.worker_id = "w";
    commit.to = JobStatus::kChunksStored;
    commit.next_state = QueueState::kWorking;
    commit.chunks = chunks;
    commit.now_ms = 1001;
    Status s = store_->CommitStage(commit);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return {job.id, chunks};
  }

  void StoreVectors(const std::string& job_id, const std::vector<Chunk>& chunks) {
    StageCommit commit;
    commit.job_id = job_id;
    commit.worker_id = "w";
    commit.to = JobStatus::kComplete;
    commit.next_state = QueueState::kDone;
    commit.now_ms = 1002;
    for (const Chunk& c : chunks) {
      commit.vectors.push_back({c.id, c.document_id, "m", {float(c.ord), 1}});
    }
    Status s = store_->CommitStage(commit);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  struct Lines {
    std::vector<nlohmann::json> chunks;
    std::vector<std::string> deleted;
    std::string cursor;
  };
  Lines Export(const std::string& user, std::map<std::string, std::string> query) {
    ApiRequest req;
    req.caller = JwtClaims{};
    req.caller->sub = user;
    req.query = std::move(query);
    ApiResponse r = HandleExport(ctx_, req);
    EXPECT_EQ(r.status, 200) << r.body;
    Lines out;
    if (!r.stream) return out;
    std::string body;
    for (bool more = true; more;) {
      std::string piece;
      Result<bool> next = r.stream->Next(&piece);
      EXPECT_TRUE(next.ok()) << next.status().ToString();
      more = next.ok() && *next;
      body += piece;
    }
    for (size_t at = 0, eol; (eol = body.find('\n', at)) != std::string::npos; at = eol + 1) {
      nlohmann::json line = nlohmann::json::parse(body.substr(at, eol - at));
      if (line.contains("cursor")) {
        out.cursor = line["cursor"];
      } else if (line.contains("deleted")) {
        out.deleted.push_back(line["deleted"]);
      } else {
        out.chunks.push_back(std::move(line));
      }
    }
    return out;
  }

  fs::path dir_;
  std::string url_;
  std::unique_ptr<Store> store_;
  ApiContext ctx_;
};

TEST_P(ExportStreamTest, VectorsStoredAfterTheChunksWereExportedSendTheChunkAgain) {
  auto [job, chunks] = StoreChunks("u1", 3);
  const Lines before = Export("u1", {{"include", "vectors"}});
  ASSERT_EQ(before.chunks.size(), 3u);
  for (const auto& line : before.chunks) EXPECT_EQ(line["vectors"], nlohmann::json::array());

  StoreVectors(job, chunks);
  EXPECT_TRUE(Export("u1", {{"cursor", before.cursor}}).chunks.empty());  // chunks unchanged
  const Lines after = Export("u1", {{"cursor", before.cursor}, {"include", "vectors"}});
  ASSERT_EQ(after.chunks.size(), 3u);
  for (const auto& line : after.chunks) {
    ASSERT_EQ(line["vectors"].size(), 1u) << line.dump();
    EXPECT_EQ(line["vectors"][0]["model"], "m");
  }
  EXPECT_TRUE(Export("u1", {{"cursor", before.cursor}, {"include", "vectors"}, {"model", "x"}})
                  .chunks.empty());
  EXPECT_TRUE(Export("u1", {{"cursor", after.cursor}, {"include", "vectors"}}).chunks.empty());
}

TEST_P(ExportStreamTest, PagesAcrossStorePagesSendEveryChunkWithItsLatestVectorLast) {
  auto [job, chunks] = StoreChunks("u1", 450);  // more than two store pages
  StoreVectors(job, chunks);
  auto [their_job, theirs] = StoreChunks("u2", 250);  // another user's, in between
  StoreVectors(their_job, theirs);

  const Lines all = Export("u1", {{"include", "vectors"}});
  std::map<std::string, nlohmann::json> last;  // chunk id → its last line
  for (const auto& line : all.chunks) last[line["chunk_id"]] = line;
  ASSERT_EQ(last.size(), chunks.size());
  for (const Chunk& c : chunks) {
    const nlohmann::json& line = last[c.id];
    EXPECT_EQ(line["document_id"], c.document_id);
    ASSERT_EQ(line["vectors"].size(), 1u) << c.ord;
  }
  const Lines plain = Export("u1", {});
  EXPECT_EQ(plain.chunks.size(), chunks.size());  // without vectors: each chunk once
  EXPECT_TRUE(Export("u1", {{"cursor", all.cursor}, {"include", "vectors"}}).chunks.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ExportStreamTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ingestd::api
