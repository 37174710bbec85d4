// Test-only fixture for worker and pool tests: a real SQLite store and filesystem blob
// store in a temp dir, a FakeClock, the mock services and helpers to upload PDFs.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "blob/blob_store.h"
#include "core/blob_names.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "pipeline/pipeline_options.h"
#include "services/mock_embedder.h"
#include "services/mock_parser.h"
#include "store/store.h"
#include "text/markdown_token_chunker.h"

namespace ingestd::testing {

// A tiny PDF with `pages` page objects; `salt` makes the bytes (and markdown) unique.
inline std::string SyntheticPdf(int pages, const std::string& salt) {
  std::string pdf = "%PDF-1.4\n1 0 obj << /Type /Pages >> endobj\n";
  for (int i = 0; i < pages; ++i) pdf += "<< /Type /Page /Parent 1 0 R >>\n";
  return pdf + "% " + salt + "\n%%EOF\n";
}

inline std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), {});
}

class PipelineTestEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "ingestd_pipeline_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = OpenStore("sqlite://" + dir_ + "/db.sqlite");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate().ok());
    auto blobs = OpenFsBlobStore(dir_ + "/blobs");
    ASSERT_TRUE(blobs.ok()) << blobs.status().ToString();
    blobs_ = std::move(*blobs);
    options_.backoff.jitter = Jitter::kEqual;
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  PipelineDeps Deps() {
    return PipelineDeps{store_.get(), blobs_.get(), &parser_, &embedder_, &chunker_, &clock_};
  }

  // Creates a document and job for `pdf` through the two-step upload path; returns the job.
  Job Upload(const std::string& pdf, const std::string& user = "user-1", int priority = 0,
             nlohmann::json router_config = nlohmann::json::object()) {
    Document doc;
    doc.id = NewUuidV4();
    doc.user_id = user;
    doc.filename = "test.pdf";
    doc.mime = "application/pdf";
    doc.size_bytes = static_cast<int64_t>(pdf.size());
    doc.sha256 = Sha256Hex(pdf);
    Job job;
    job.id = NewUuidV4();
    job.document_id = doc.id;
    job.user_id = user;
    job.status = JobStatus::kAwaitingUpload;
    job.correlation_id = NewUuidV4();
    job.service_mode = "mock";
    job.processing_priority = priority;
    job.router_config = std::move(router_config);
    auto created = store_->CreateUpload(doc, job, clock_.NowMillis());
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    EXPECT_TRUE(blobs_->Put(DocumentBlobKey(doc.id), pdf).ok());
    Status done = store_->CompleteUpload(job.id, DocumentBlobKey(doc.id), clock_.NowMillis());
    EXPECT_TRUE(done.ok()) << done.ToString();
    return GetJob(job.id);
  }

  Job GetJob(const std::string& id) {
    auto job = store_->GetJobUnscoped(id);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : Job{};
  }

  std::vector<std::string> EventCodes(const Job& job) {
    std::vector<std::string> codes;
    auto events = store_->ListEvents(job.user_id, job.id);
    EXPECT_TRUE(events.ok());
    if (events.ok()) {
      for (const Event& e : *events) codes.push_back(e.code);
    }
    return codes;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<BlobStore> blobs_;
  FakeClock clock_;
  MockParser parser_;
  MockEmbedder embedder_;
  MarkdownTokenChunker chunker_;
  PipelineOptions options_;
};

}  // namespace ingestd::testing
