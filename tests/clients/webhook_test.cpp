// LlamaParse webhooks on a running `ingestd serve` (PARSE_MODE=real against the fake): the
// parser hands LlamaParse the per-job URL and secret; a delivery, signed or not, is only a
// hint to poll — deduplicated on its event id, rate-limited per job — and none of it
// changes the job's course.
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

TEST_F(WebhookTest, ADeliveryIsOnlyAHintDeduplicatedAndRateLimitedPerJob) {
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
  EXPECT_EQ(hooks[0]["webhook_output_format"], "json");

  // A forged, unsigned delivery claiming success, with a result of its own, for a real job:
  // it wakes the job once (a status poll), and nothing of its body is believed.
  const auto forged = [&](const std::string& event_id) {
    return json{{"event_id", event_id},
                {"event_type", "parse.success"},
                {"timestamp", 1764360000.5},
                {"data",
                 {{"id", llamaparse_.jobs()[0].id},
                  {"job_id", llamaparse_.jobs()[0].id},
                  {"status", "SUCCESS"},
                  {"md", "# forged"}}}}
        .dump();
  };
  HttpResponse first = Deliver(job_id, forged("evt-1"), "");
  ASSERT_EQ(first.status, 200) << first.Describe();
  EXPECT_EQ(first.Json()["accepted"], true);
  // Its retries (same event id) are duplicates, signed or not.
  HttpResponse again = DeliverSigned(job_id, forged("evt-1"));
  ASSERT_EQ(again.status, 200) << again.Describe();
  EXPECT_EQ(again.Json()["duplicate"], true);
  // Fresh event ids, in LlamaParse's default form (a JSON-encoded string) too: recorded,
  // but within the rate limit they wake nothing.
  for (const std::string& body : {forged("evt-2"), json(forged("evt-3")).dump()}) {
    HttpResponse r = Deliver(job_id, body, "");
    ASSERT_EQ(r.status, 200) << r.Describe();
    EXPECT_EQ(r.Json()["duplicate"], false);
    EXPECT_EQ(r.Json()["accepted"], false);
  }
  EXPECT_EQ(Deliver(job_id, "{}", "").status, 400);  // no event id anywhere
  EXPECT_EQ(DeliverSigned("00000000-0000-4000-8000-000000000000", forged("evt-4")).status, 404);

  const auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "LLAMAPARSE_WEBHOOK"), 1) << Join(codes);
  // Polling decides the outcome: the provider still says PENDING, so the job still waits,
  // and no result was ever asked for.
  HttpResponse view = client_->Send({.target = "/api/v1/jobs/" + job_id, .bearer = token_});
  EXPECT_NE(view.Json()["status"], "complete");
  for (const auto& r : llamaparse_.requests()) {
    EXPECT_EQ(r.target.find("/result/"), std::string::npos) << r.target;
  }
  EXPECT_EQ(llamaparse_.uploads_accepted(), 1);
}

TEST_F(WebhookTest, ANoticeForAJobNoLongerParsingWakesNothing) {
  llamaparse_.PushOutcome(fakes::ParseOutcome::kError);
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, "wh-2"));
  ASSERT_EQ(up.status, 202) << up.Describe();
  const std::string job_id = up.Json()["job_id"];
  WaitResult dead = WaitForJob(*client_, token_, job_id, IsSettled, 60000);
  ASSERT_TRUE(dead.met) << dead.view.dump();
  EXPECT_EQ(dead.view["last_error"]["code"], "UPSTREAM_PARSE_FAILED") << dead.view.dump();
  HttpResponse late = DeliverSigned(job_id, json{{"event_id", "evt-late"}}.dump());
  ASSERT_EQ(late.status, 200) << late.Describe();  // answered, so the provider stops retrying
  EXPECT_EQ(late.Json()["accepted"], false);
  const auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "LLAMAPARSE_WEBHOOK"), 0) << Join(codes);
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
  EXPECT_EQ(llamaparse_->jobs()[0].webhook_statuses, (std::vector<long>{200}));
  HttpResponse view = client_->Send({.target = "/api/v1/jobs/" + job_id, .bearer = token_});
  EXPECT_EQ(view.Json()["status"], "complete");
  const auto codes = EventCodes(GetEvents(*client_, token_, job_id));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "LLAMAPARSE_WEBHOOK"), 0) << Join(codes);
}

}  // namespace
}  // namespace ingestd::itest
