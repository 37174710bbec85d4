// Crash safety: the server is SIGKILLed twice while ten jobs run; after restarts every job
// completes exactly once, with no duplicate chunks or vectors (checked in SQL).
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "harness/db_inspector.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

constexpr int kDocs = 10;

class CrashTest : public ServerTest {
 protected:
  // Slow stages so that the kills land mid-run; a short lease so that restarts reclaim
  // the killed workers' jobs quickly.
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_LEASE_MS", "1500"},
            {"INGESTD_MOCK_PARSE_FAULTS", "latency:150"},
            {"INGESTD_MOCK_EMBED_FAULTS", "latency:150"}};
  }

  int CountDone() {
    HttpResponse r = client_->Get("/api/v1/jobs?state=done&limit=500", token_);
    return r.status == 200 ? static_cast<int>(r.Json()["jobs"].size()) : -1;
  }

  // Waits until more than `than` jobs are done, then SIGKILLs the server mid-run.
  void KillOnceMoreThanDone(int than) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int done = CountDone();
    while (done <= than && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      done = CountDone();
    }
    ASSERT_GT(done, than);
    ASSERT_LT(done, kDocs) << "every job finished before the kill: nothing was tested";
    server_->Kill();
  }
};

std::vector<std::string> Sources() {
  std::vector<std::string> docs;
  for (const char* path :
       {kRFaqPdf, kRDataPdf, kRLangPdf, kRIntsPdf, kRAdminPdf, kRIntroPdf, kRExtsPdf}) {
    docs.push_back(ReadFile(path));
  }
  for (const char* path : {kRFaqPdf, kRDataPdf, kRLangPdf}) {
    docs.push_back(TaggedPdf(path, "crash-copy"));
  }
  return docs;
}

TEST_F(CrashTest, KilledServerCompletesEveryJobExactlyOnceAfterRestart) {
  std::vector<std::string> job_ids;
  std::vector<std::string> docs = Sources();
  ASSERT_EQ(docs.size(), size_t{kDocs});
  for (int i = 0; i < kDocs; ++i) {
    std::string name = "doc" + std::to_string(i) + ".pdf";
    if (i % 2 == 0) {
      HttpResponse r = UploadOneShot(*client_, token_, name, docs[i]);
      ASSERT_EQ(r.status, 202) << r.Describe();
      job_ids.push_back(r.Json()["job_id"]);
    } else {
      HttpResponse r = RequestUpload(*client_, token_, name, docs[i]);
      ASSERT_EQ(r.status, 200) << r.Describe();
      ASSERT_EQ(PutBlob(*client_, r.Json()["signed_url"], docs[i]).status, 200);
      job_ids.push_back(r.Json()["job_id"]);
    }
  }

  ASSERT_NO_FATAL_FAILURE(KillOnceMoreThanDone(0));
  Restart();  // still slow: the second kill also lands mid-run
  ASSERT_NO_FATAL_FAILURE(KillOnceMoreThanDone(CountDone()));
  server_->UnsetEnv("INGESTD_MOCK_PARSE_FAULTS");
  server_->UnsetEnv("INGESTD_MOCK_EMBED_FAULTS");
  Restart();

  for (auto& id : job_ids) {
    WaitResult w = WaitForJob(*client_, token_, id, IsSettled, 60000);
    ASSERT_TRUE(IsComplete(w.view)) << w.view.dump();
    json doc = client_->Get("/api/v1/documents/" + w.view["document_id"].get<std::string>(), token_)
                   .Json();
    EXPECT_GT(doc.value("chunk_count", 0), 0) << doc.dump();
    EXPECT_EQ(doc["chunk_count"], doc["vector_count"]) << doc.dump();
    auto codes = EventCodes(GetEvents(*client_, token_, id));
    EXPECT_EQ(std::count(codes.begin(), codes.end(), "JOB_COMPLETED"), 1) << Join(codes);
  }
  ASSERT_EQ(server_->Stop(), 0);

  DbInspector db(server_->db_path());
  ASSERT_TRUE(db.ok()) << db.error();
  EXPECT_EQ(db.Count("documents"), kDocs) << db.error();
  EXPECT_EQ(db.Count("jobs"), kDocs) << db.error();
  EXPECT_EQ(db.Count("jobs", "status = 'complete' AND state = 'done'"), kDocs) << db.error();
  // Chunks: one row per (document, ordinal), ordinals 0..n-1.
  EXPECT_EQ(db.Scalar("SELECT COUNT(*) FROM (SELECT 1 FROM chunks GROUP BY document_id, ord "
                      "HAVING COUNT(*) > 1)"),
            0)
      << db.error();
  EXPECT_EQ(db.Scalar("SELECT COUNT(*) FROM (SELECT document_id FROM chunks GROUP BY document_id "
                      "HAVING MAX(ord) + 1 != COUNT(*) OR MIN(ord) != 0)"),
            0)
      << db.error();
  EXPECT_EQ(db.Scalar("SELECT COUNT(DISTINCT document_id) FROM chunks"), kDocs) << db.error();
  // Vectors: one per (chunk, model), each for an existing chunk, as many as chunks.
  EXPECT_EQ(db.Scalar("SELECT COUNT(*) FROM (SELECT 1 FROM vectors GROUP BY chunk_id, model "
                      "HAVING COUNT(*) > 1)"),
            0)
      << db.error();
  EXPECT_EQ(db.Scalar("SELECT COUNT(*) FROM vectors WHERE chunk_id NOT IN (SELECT id FROM chunks)"),
            0)
      << db.error();
  EXPECT_EQ(db.Scalar("SELECT COUNT(*) FROM documents d WHERE "
                      "(SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) != "
                      "(SELECT COUNT(*) FROM vectors v WHERE v.document_id = d.id)"),
            0)
      << db.error();
  EXPECT_EQ(db.Count("vectors"), db.Count("chunks")) << db.error();
  // Events: JOB_COMPLETED exactly once for every job.
  EXPECT_EQ(db.Count("events", "code = 'JOB_COMPLETED'"), kDocs) << db.error();
  EXPECT_EQ(db.Scalar("SELECT COUNT(DISTINCT job_id) FROM events WHERE code = 'JOB_COMPLETED'"),
            kDocs)
      << db.error();

  // Blobs: exactly one original and one markdown per document. A kill during a write leaves
  // that write's temp file (FsBlobStore sweeps them once stale); it is never a blob.
  auto committed = [](const std::string& dir) {
    std::vector<std::string> files = ListFiles(dir);
    std::erase_if(files, [](const std::string& f) { return f.find(".tmp.") != f.npos; });
    return files;
  };
  for (const char* dir : {"/documents", "/markdown"}) {
    std::vector<std::string> files = committed(server_->blobs_dir() + dir);
    EXPECT_EQ(files.size(), size_t{kDocs}) << dir << ": " << Join(files);
  }
}

// A document that kills its worker (INGESTD_MOCK_PARSE_FAULTS=abort:…) under a supervisor that
// restarts `ingestd serve` whenever it dies: each lost lease is an attempt, so the poisoned job
// dead-letters WORKER_LOST after INGESTD_MAX_ATTEMPTS deaths, and the other jobs complete.
class PoisonedDocumentTest : public ServerTest {
 protected:
  static constexpr int kMaxAttempts = 3;
  // One worker, so a good job is never in flight when the poisoned parse aborts the process.
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_LEASE_MS", "300"},
            {"INGESTD_WORKERS", "1"},
            {"INGESTD_MAX_ATTEMPTS", std::to_string(kMaxAttempts)},
            {"INGESTD_MOCK_PARSE_FAULTS", "abort:poison.pdf"}};
  }
};

TEST_F(PoisonedDocumentTest, SupervisedRestartsDeadLetterThePoisonedJobWorkerLost) {
  std::vector<std::string> good;
  int n = 0;
  for (const char* path : {kRFaqPdf, kRDataPdf, kRLangPdf}) {
    HttpResponse r =
        UploadOneShot(*client_, token_, "good" + std::to_string(n++) + ".pdf", ReadFile(path));
    ASSERT_EQ(r.status, 202) << r.Describe();
    good.push_back(r.Json()["job_id"]);
  }
  HttpResponse up = UploadOneShot(*client_, token_, "poison.pdf", TaggedPdf(kRIntsPdf, "poison"));
  ASSERT_EQ(up.status, 202) << up.Describe();
  const std::string poison = up.Json()["job_id"];

  // The supervisor: whenever the server stops answering, reap it and start it again.
  // waitpid's status for a process ended by SIGABRT without a core dump is the signal number.
  const std::string kDiedInStartUp =
      "server exited during start-up (status " + std::to_string(SIGABRT) + ")";
  std::vector<int> deaths;
  json view;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResponse r = client_->Get("/api/v1/jobs/" + poison, token_);
    if (r.status == 0) {
      deaths.push_back(server_->Signal(SIGKILL));  // reaps the aborted process
      // The worker pool starts before the listener, so a restart may die before it is ready.
      std::string err;
      while (deaths.size() <= size_t{kMaxAttempts} && !(err = server_->Start()).empty()) {
        ASSERT_TRUE(err.starts_with(kDiedInStartUp)) << err;
        deaths.push_back(-SIGABRT);
      }
      ASSERT_LE(deaths.size(), size_t{kMaxAttempts}) << "the poisoned job kept killing workers";
      client_ = std::make_unique<HttpClient>(server_->base_url());
      continue;
    }
    ASSERT_EQ(r.status, 200) << r.Describe();
    view = r.Json();
    if (view["state"] == "deadletter") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(view["state"], "deadletter") << view.dump();
  EXPECT_EQ(deaths, std::vector<int>(kMaxAttempts, -SIGABRT));
  EXPECT_EQ(view["status"], "parse_queued") << view.dump();
  EXPECT_EQ(view["retry_count"], kMaxAttempts) << view.dump();
  EXPECT_EQ(view["last_error"]["code"], "WORKER_LOST") << view.dump();
  EXPECT_EQ(view["last_error"]["stage"], "parse") << view.dump();
  json events = GetEvents(*client_, token_, poison);
  auto codes = EventCodes(events);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "WORKER_LOST"), kMaxAttempts) << Join(codes);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "DLQ_MOVED"), 1) << Join(codes);
  EXPECT_EQ(codes.back(), "DLQ_MOVED") << Join(codes);

  for (const std::string& id : good) {
    WaitResult w = WaitForJob(*client_, token_, id, IsSettled, 60000);
    EXPECT_TRUE(IsComplete(w.view)) << w.view.dump();
  }
  EXPECT_EQ(client_->Get("/api/v1/jobs/" + poison, token_).Json()["state"], "deadletter")
      << "a dead-lettered job is never claimed again";
}

}  // namespace
}  // namespace ingestd::itest
