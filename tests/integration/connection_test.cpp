// Connection handling and process lifecycle: keep-alive, slow clients that must neither
// starve others nor stay connected forever, and graceful shutdown on SIGTERM/SIGINT.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "harness/raw_http.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kReadTimeoutMs = 2000;  // long enough that a loaded machine is not "slow"

class ConnectionTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_READ_TIMEOUT_MS", std::to_string(kReadTimeoutMs)}};
  }
};

TEST_F(ConnectionTest, KeepAliveServesManyRequestsOnOneConnection) {
  HttpResponse first = client_->Get("/health");
  ASSERT_EQ(first.status, 200) << first.Describe();
  EXPECT_EQ(first.new_connections, 1);
  for (int i = 0; i < 5; ++i) {
    for (const char* target : {"/health", "/api/v1/jobs", "/api/v1/missing"}) {
      HttpResponse r = client_->Get(target, token_);
      EXPECT_NE(r.status, 0) << r.Describe();
      EXPECT_EQ(r.new_connections, 0) << target << " opened a new connection";
    }
  }
  // Error responses (including ones with bodies the server did not read) keep it open too.
  HttpResponse bad = client_->Send({.method = "POST",
                                    .target = "/api/v1/upload",
                                    .headers = {{"Content-Type", "application/json"}},
                                    .bearer = token_,
                                    .body = "{"});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(client_->Get("/health").new_connections, 0);
}

TEST_F(ConnectionTest, SlowLorisClientsDoNotBlockOthersAndAreDisconnected) {
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(slow.back()->connected());
    ASSERT_TRUE(slow.back()->SendAll("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  }
  // While they idle mid-header, everyone else is served promptly.
  for (int i = 0; i < 20; ++i) {
    auto start = Clock::now();
    HttpClient fresh(server_->base_url());  // a new connection each time
    HttpResponse r = fresh.Get("/health");
    ASSERT_EQ(r.status, 200) << r.Describe();
    EXPECT_LT(Clock::now() - start, milliseconds(kReadTimeoutMs / 2)) << "request " << i;
  }
  for (auto& s : slow) {
    auto closed_after = s->WaitForClose(kReadTimeoutMs + 5000);
    ASSERT_TRUE(closed_after.has_value()) << "slow client still connected";
  }
  EXPECT_EQ(client_->Get("/health").status, 200);
}

TEST_F(ConnectionTest, StalledUploadBodyIsDroppedAndLeavesNoFiles) {
  std::string bytes = ReadFile(kRFaqPdf);
  HttpResponse up = RequestUpload(*client_, token_, "R-FAQ.pdf", bytes);
  ASSERT_EQ(up.status, 200) << up.Describe();
  std::string url = up.Json()["signed_url"];
  std::string path = url.substr(url.find("/api/v1/blobs/"));

  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.SendAll("PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                           std::to_string(bytes.size()) + "\r\n\r\n" + bytes.substr(0, 100000)));
  ASSERT_TRUE(conn.WaitForClose(kReadTimeoutMs + 5000).has_value());
  // The half-received body is gone and the job still waits for its bytes.
  auto deadline = Clock::now() + milliseconds(3000);
  while (!StrayDataFiles(server_->data_dir()).empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(StrayDataFiles(server_->data_dir()).empty())
      << Join(StrayDataFiles(server_->data_dir()));
  json job = client_->Get("/api/v1/jobs/" + up.Json()["job_id"].get<std::string>(), token_).Json();
  EXPECT_EQ(job["status"], "awaiting_upload") << job.dump();
  EXPECT_EQ(PutBlob(*client_, url, bytes).status, 200);
}

TEST_F(ConnectionTest, SigtermAndSigintExitZero) {
  EXPECT_EQ(server_->Stop(), 0);
  Restart();
  EXPECT_EQ(client_->Get("/health").status, 200);
  EXPECT_EQ(server_->Signal(SIGINT), 0);
}

TEST_F(ConnectionTest, ReadyIs503WhileTheBlobStoreIsUnreachable) {
  ASSERT_EQ(client_->Get("/ready").status, 200);
  const std::string blobs = server_->blobs_dir(), moved = blobs + ".away";
  ASSERT_EQ(std::rename(blobs.c_str(), moved.c_str()), 0);
  HttpResponse r = client_->Get("/ready");
  EXPECT_EQ(r.status, 503) << r.Describe();
  EXPECT_NE(r.Json().value("status", ""), "ready") << r.body;
  EXPECT_NE(r.Json().value("blobs", ""), "ok") << r.body;
  EXPECT_EQ(client_->Get("/health").status, 200) << "liveness does not depend on storage";
  ASSERT_EQ(std::rename(moved.c_str(), blobs.c_str()), 0);
  EXPECT_EQ(client_->Get("/ready").status, 200);
}

class GracefulShutdownTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_MOCK_EMBED_FAULTS", "latency:1500"}};
  }
};

TEST_F(GracefulShutdownTest, InFlightJobIsReleasedOnSigtermAndFinishesAfterRestart) {
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", ReadFile(kRFaqPdf));
  ASSERT_EQ(up.status, 202) << up.Describe();
  std::string job_id = up.Json()["job_id"];
  WaitResult embedding = WaitForJob(
      *client_, token_, job_id,
      [](const json& v) {
        static const std::set<std::string> kEmbedding = {"chunks_stored", "embedding_queued",
                                                         "embedding_in_progress"};
        return v["state"] == "working" && kEmbedding.count(v.value("status", "")) > 0;
      },
      15000);
  ASSERT_TRUE(embedding.met) << embedding.view.dump();
  EXPECT_EQ(server_->Stop(), 0);

  // The default 30 s lease would hold a job that was not released past this test's wait.
  server_->UnsetEnv("INGESTD_MOCK_EMBED_FAULTS");
  Restart();
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 10000);
  ASSERT_TRUE(done.met) << done.view.dump();
  auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "JOB_COMPLETED"), 1) << Join(codes);
}

}  // namespace
}  // namespace ingestd::itest
