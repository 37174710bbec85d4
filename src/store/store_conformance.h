// The Store conformance suite: the contract of store.h as value-parameterized tests that
// every backend runs. A backend's test file instantiates it with a StoreBackend:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(StoreBackend{"sqlite", NewUrl, DropUrl}),
//                            StoreBackendName);
//
// and links the ingestd_store_conformance object library (CMakeLists.txt).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace ingestd {

struct StoreBackend {
  std::string name;
  // The URL (for OpenStore) of a new, empty database used by one test.
  std::function<std::string()> new_database_url;
  // Removes what new_database_url created.
  std::function<void(const std::string& url)> drop_database;
};

std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info);

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  static constexpr int64_t kT0 = 1'700'000'000'000;
  // A retryable failure to record with ScheduleRetry / DeadLetter.
  inline static const LastError kParseTimeout{"PARSE_TIMEOUT", "the parser timed out", "parse",
                                              kT0};
  static constexpr int64_t kLeaseMs = 30'000;

  void SetUp() override;
  void TearDown() override;

  // Another handle on the same database: a restarted server or a second process.
  std::unique_ptr<Store> OpenAgain();

  // A document of user with random ids and hash (or the given hash).
  static Document MakeDocument(const std::string& user, const std::string& sha256 = "");
  static Job MakeJob(const Document& doc, JobStatus status = JobStatus::kUploaded);
  // CreateUpload of a fresh document; fails the test on error.
  CreateUploadResult Upload(const std::string& user, int64_t now_ms,
                            JobStatus status = JobStatus::kUploaded);
  // ClaimNext that must return a job.
  Job MustClaim(const std::string& worker, int64_t now_ms, int64_t lease_ms = kLeaseMs);
  // n chunks of doc with deterministic ids.
  static std::vector<Chunk> MakeChunks(const std::string& doc_id, int n,
                                       const std::string& text_prefix = "chunk");
  // A StageCommit of job_id by worker moving the job to `to`, then `next_state`.
  static StageCommit MakeCommit(const std::string& job_id, const std::string& worker, JobStatus to,
                                QueueState next_state);
  static VectorRecord MakeVector(const Chunk& chunk, const std::string& model,
                                 std::vector<float> values);
  // A fresh document of u1, committed complete by worker, with one chunk per model and a
  // vector of models[i] on chunk i; returns its chunks (store_conformance_vectors.cpp).
  std::vector<Chunk> StoreDocumentWithVectors(const std::string& worker, int64_t now_ms,
                                              const std::vector<std::string>& models);
  // Codes of the job's events, in order.
  std::vector<std::string> EventCodes(const std::string& user, const std::string& job_id);

  std::string url_;
  std::unique_ptr<Store> store_;
};

// The retrieval reads (store_conformance_retrieval.cpp): keyword search, chunk views,
// filtered document ids and the change feeds. Instantiated like StoreConformanceTest.
class StoreRetrievalTest : public StoreConformanceTest {
 protected:
  // A fresh document of user (filename, uploaded at now_ms), committed complete with one
  // chunk per text and a vector of model on each; returns its chunks.
  std::vector<Chunk> StoreTexts(const std::string& user, const std::vector<std::string>& texts,
                                int64_t now_ms, const std::string& filename = "report.pdf",
                                const std::string& model = "m");
  // KeywordSearch that must succeed; the chunk ids, best first.
  std::vector<std::string> Search(const std::string& user, const std::string& query,
                                  const SearchFilter& f = {}, int limit = 100);
};

// The completion-callback outbox (store_conformance_callbacks.cpp). Instantiated like
// StoreConformanceTest.
class StoreCallbackTest : public StoreConformanceTest {
 protected:
  // A fresh upload of u1 with a callback URL, claimed by worker "w".
  Job ClaimedJobWithCallback(int64_t now_ms);
  // Commits the job complete (kDone) as "w".
  void Complete(const Job& job, int64_t now_ms);
  // ClaimCallbacks that must succeed.
  std::vector<CallbackMessage> Claim(Store& store, const std::string& who, int64_t now_ms,
                                     int limit = 100);
};

// The embedding cache (store_conformance_embed_cache.cpp). Instantiated like
// StoreConformanceTest.
class StoreEmbedCacheTest : public StoreConformanceTest {
 protected:
  // A fresh document of user committed complete at now_ms: one chunk per text, each with a
  // 2-d vector {value, i} of text-embedding-3-small keyed by a hash of its text, 10 tokens;
  // hits marks the chunks whose vectors were cache hits (saving 200 nanos each).
  std::vector<Chunk> StoreCached(const std::string& user, int64_t now_ms,
                                 const std::vector<std::string>& texts, float value = 1,
                                 std::vector<bool> hits = {});
  // FindCachedVectors of those texts' hashes that must succeed.
  std::vector<VectorRecord> Find(const std::vector<std::string>& texts, const std::string& user,
                                 int dims = 2, const std::string& model = "text-embedding-3-small");
};

}  // namespace ingestd
