// Signed LlamaParse webhooks on a running `ingestd serve` (PARSE_MODE=real against the fake):
// the parser hands LlamaParse the per-job URL and secret; forged, misdirected and unknown
// notices are refused, duplicates are recognised, and none of it changes the job's course.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "harness/test_support.h"
#include "services/llamaparse_webhook.h"
#include "tests/fakes/fake_llamaparse_server.h"

namespace ingestd::itest {
namespace {

constexpr char kUploadSecret[] = "itest-upload-secret-0123456789abcdef";

class WebhookTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "real"},
            // These tests count the provider's requests; probes are tested on their own.
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"LLAMAPARSE_API_KEY", "llx-fake-0123456789abcdef"},
            {"LLAMAPARSE_BASE_URL", llamaparse_.base_url()},
            {"INGESTD_PUBLIC_URL", "https://ingestd.example"},
            {"INGESTD_UPLOAD_SECRET", kUploadSecret}};
  }
  HttpResponse Deliver(const std::string& job_id, const std::string& body,
                       const std::string& signature) {
    HttpRequest req;
    req.method = "POST";
    req.target = llamaparse::WebhookPath(job_id);
    req.body = body;
    req.headers = {{"Content-Type", "application/json"}};
    if (!signature.empty()) req.headers.emplace_back("LC-Signature", signature);
    return client_->Send(req);
  }
  HttpResponse DeliverSigned(const std::string& job_id, const std::string& body) {
    return Deliver(
        job_id, body,
        llamaparse::WebhookSignature(llamaparse::WebhookSecret(kUploadSecret, job_id), body));
  }
  // Waits until the fake has accepted n uploads.
  bool WaitForUploads(int n) {
    for (int i = 0; i < 300 && llamaparse_.uploads_accepted() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return llamaparse_.uploads_accepted() >= n;
  }

  fakes::FakeLlamaParseServer llamaparse_{{.pending_polls = 1}};
};

TEST_F(WebhookTest, OnlyASignedNoticeForAWaitingJobIsAcceptedOnce) {
  llamaparse_.PushOutcome(fakes::ParseOutcome::kNeverFinishes);
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, "wh-1"));
  ASSERT_EQ(up.status, 202) << up.Describe();
  const std::string job_id = up.Json()["job_id"];
  ASSERT_TRUE(WaitForUploads(1));

  // What the parser told LlamaParse.
  const json hooks = json::parse(llamaparse_.jobs()[0].webhook_configurations);
  ASSERT_EQ(hooks.size(), 1u) << hooks.dump();
  EXPECT_EQ(hooks[0]["webhook_url"], "https://ingestd.example" + llamaparse::WebhookPath(job_id));
  EXPECT_EQ(hooks[0]["webhook_signing_secret"], llamaparse::WebhookSecret(kUploadSecret, job_id));

  const std::string body = json{{"event_id", "evt-1"},
                                {"event_type", "parse.success"},
                                {"timestamp", "2026-11-28T20:00:00Z"},
                                {"data", {{"job_id", llamaparse_.jobs()[0].id}}}}
                               .dump();
  EXPECT_EQ(Deliver(job_id, body, "").status, 401);
  EXPECT_EQ(Deliver(job_id, body, "sha256=" + std::string(64, '0')).status, 401);
  // Signed with another job's secret (misdirected): refused.
  EXPECT_EQ(Deliver(job_id, body,
                    llamaparse::WebhookSignature(
                        llamaparse::WebhookSecret(kUploadSecret, "other-job"), body))
                .status,
            401);
  // A body changed after signing: refused.
  EXPECT_EQ(
      Deliver(job_id, body + " ",
              llamaparse::WebhookSignature(llamaparse::WebhookSecret(kUploadSecret, job_id), body))
          .status,
      401);
  EXPECT_EQ(DeliverSigned("00000000-0000-4000-8000-000000000000", body).status, 404);

  HttpResponse ok = DeliverSigned(job_id, body);
  ASSERT_EQ(ok.status, 200) << ok.Describe();
  EXPECT_EQ(ok.Json()["accepted"], true);
  HttpResponse again = DeliverSigned(job_id, body);  // LlamaParse redelivers
  ASSERT_EQ(again.status, 200) << again.Describe();
  EXPECT_EQ(again.Json()["duplicate"], true);

  const auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "LLAMAPARSE_WEBHOOK"), 1) << Join(codes);
  // Polling decides the outcome: the provider still says PENDING, so the job still waits.
  HttpResponse view = client_->Send({.target = "/api/v1/jobs/" + job_id, .bearer = token_});
  EXPECT_NE(view.Json()["status"], "complete");
  EXPECT_EQ(llamaparse_.uploads_accepted(), 1);
}

TEST_F(WebhookTest, ANoticeForAJobNoLongerParsingIsRefused) {
  llamaparse_.PushOutcome(fakes::ParseOutcome::kError);
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, "wh-2"));
  ASSERT_EQ(up.status, 202) << up.Describe();
  const std::string job_id = up.Json()["job_id"];
  WaitResult dead = WaitForJob(*client_, token_, job_id, IsSettled, 60000);
  ASSERT_TRUE(dead.met) << dead.view.dump();
  EXPECT_EQ(dead.view["last_error"]["code"], "UPSTREAM_PARSE_FAILED") << dead.view.dump();
  HttpResponse late = DeliverSigned(job_id, json{{"event_id", "evt-late"}}.dump());
  EXPECT_EQ(late.status, 409) << late.Describe();
}

// A loopback port free right now (the server is told it up front: INGESTD_PUBLIC_URL must
// name it before the server starts).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The fake delivers its signed webhooks to the running server itself.
class DeliveredWebhookTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "real"},
            // These tests count the provider's requests; probes are tested on their own.
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"LLAMAPARSE_API_KEY", "llx-fake-0123456789abcdef"},
            {"LLAMAPARSE_BASE_URL", llamaparse_->base_url()},
            {"INGESTD_PORT", std::to_string(port_)},
            {"INGESTD_PUBLIC_URL", "http://127.0.0.1:" + std::to_string(port_)}};
  }
  void Start(fakes::FakeLlamaParseOptions options) {
    llamaparse_ = std::make_unique<fakes::FakeLlamaParseServer>(options);
    ServerTest::SetUp();
  }
  void SetUp() override {}  // each test starts with its own fake options

  const int port_ = FreePort();
  std::unique_ptr<fakes::FakeLlamaParseServer> llamaparse_;
};

TEST_F(DeliveredWebhookTest, RedeliveredNoticeIsAcceptedOnceAndTheJobCompletes) {
  Start({.complete_after_ms = 300, .webhooks = fakes::WebhookDelivery::kTwice});
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, "wh-3"));
  ASSERT_EQ(up.status, 202) << up.Describe();
  const std::string job_id = up.Json()["job_id"];
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 60000);
  ASSERT_TRUE(done.met) << done.view.dump();
  ASSERT_EQ(llamaparse_->jobs().size(), 1u);
  EXPECT_EQ(llamaparse_->jobs()[0].webhook_statuses, (std::vector<long>{200, 200}));
  const auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "LLAMAPARSE_WEBHOOK"), 1) << Join(codes);
}

TEST_F(DeliveredWebhookTest, ALateNoticeChangesNothing) {
  Start({.complete_after_ms = 100,
         .webhooks = fakes::WebhookDelivery::kOnce,
         .webhook_delay_ms = 6'000});
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, "wh-4"));
  ASSERT_EQ(up.status, 202) << up.Describe();
  const std::string job_id = up.Json()["job_id"];
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 60000);
  ASSERT_TRUE(done.met) << done.view.dump();  // polling finished it, no webhook needed
  for (int i = 0; i < 200 && llamaparse_->jobs()[0].webhook_statuses.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(llamaparse_->jobs()[0].webhook_statuses, (std::vector<long>{409}));
  HttpResponse view = client_->Send({.target = "/api/v1/jobs/" + job_id, .bearer = token_});
  EXPECT_EQ(view.Json()["status"], "complete");
}

}  // namespace
}  // namespace ingestd::itest
