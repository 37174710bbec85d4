// Completion callbacks end to end on a running `ingestd serve` (issue 13 §4): a Standard
// Webhooks receiver (tests/fakes/fake_webhook_receiver, which verifies signatures with its
// own code) on a loopback port, so these servers run with INGESTD_CALLBACK_ALLOW_PRIVATE=1
// — except the one that checks that such targets are refused.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "core/crypto.h"
#include "harness/multipart_body.h"
#include "harness/test_support.h"
#include "tests/fakes/fake_webhook_receiver.h"

namespace ingestd::itest {
namespace {

// whsec_ + base64 of 32 bytes, as a Standard Webhooks provider would hand it out.
constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw4Vv3wGdZ4hQ=";

fakes::FakeReply Status500() {
  fakes::FakeReply r;
  r.status = 500;
  r.body = "{\"error\":\"down\"}";
  return r;
}

// The events of the job once one with `code` is there (polled: the event is the sync point).
json WaitForEvent(HttpClient& client, const std::string& token, const std::string& job_id,
                  const std::string& code, int timeout_ms = 30'000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    json events = GetEvents(client, token, job_id);
    for (const json& e : events) {
      if (e.value("code", "") == code) return e;
    }
    if (std::chrono::steady_clock::now() >= deadline) return nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

HttpResponse UploadWithCallback(HttpClient& client, const std::string& token,
                                const std::string& tag, const std::string& callback_url) {
  Multipart m = BuildMultipart("file", "R-FAQ.pdf", TaggedPdf(kRFaqPdf, tag), "application/pdf",
                               {{"callback_url", callback_url}});
  return client.Send({.method = "POST",
                      .target = "/api/v1/documents",
                      .headers = {{"Content-Type", m.content_type}},
                      .bearer = token,
                      .body = m.body});
}

class CallbackTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_CALLBACK_SECRET", kSecret},
            {"INGESTD_CALLBACK_ALLOW_PRIVATE", "1"},
            {"INGESTD_WORKERS", "1"}};
  }
  // Every delivery was authentic Standard Webhooks JSON carrying the job's correlation id.
  void ExpectSigned(const std::vector<fakes::ReceivedWebhook>& got, const json& job) {
    for (const auto& d : got) {
      EXPECT_TRUE(d.signature_valid)
          << d.signature << " over " << d.webhook_id << "." << d.timestamp;
      EXPECT_TRUE(d.timestamp_fresh) << d.timestamp;
      EXPECT_EQ(d.content_type, "application/json");
      EXPECT_EQ(d.correlation_id, job.value("correlation_id", "")) << "X-Correlation-ID";
      EXPECT_EQ(d.webhook_id.find('.'), std::string::npos) << "an id must hold no '.'";
    }
  }

  std::unique_ptr<fakes::FakeWebhookReceiver> receiver_ =
      std::make_unique<fakes::FakeWebhookReceiver>(kSecret);
};

// The receiver answers 500 to the first attempt; the server is SIGKILLed after that attempt
// (the job has ended, the callback is not delivered) and restarted on the same database. The
// outbox row survives; the redelivery carries the same webhook-id and the same body, the
// receiver answers 200, and nothing more arrives.
class CallbackRedeliveryTest : public CallbackTest {
 protected:
  void SetUp() override {
    receiver_ = std::make_unique<fakes::FakeWebhookReceiver>(
        kSecret, std::vector<fakes::FakeReply>{Status500()});
    CallbackTest::SetUp();
  }
};

TEST_F(CallbackRedeliveryTest, ACallbackSurvivesA500AndASigkillAndArrivesOnceSigned) {
  HttpResponse up = UploadWithCallback(*client_, token_, "callback-kill", receiver_->url());
  ASSERT_EQ(up.status, 202) << up.Describe();
  const std::string job_id = up.Json().value("job_id", "");
  ASSERT_TRUE(receiver_->WaitForDeliveries(1, 60'000)) << "the first attempt";
  ASSERT_FALSE(WaitForEvent(*client_, token_, job_id, "CALLBACK_ATTEMPT_FAILED").is_null());
  server_->Kill();
  ASSERT_NO_FATAL_FAILURE(Restart());

  const json delivered = WaitForEvent(*client_, token_, job_id, "CALLBACK_DELIVERED");
  ASSERT_FALSE(delivered.is_null()) << "redelivered after the restart";
  const json job = client_->Get("/api/v1/jobs/" + job_id, token_).Json();
  const auto got = receiver_->deliveries();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].answered, 500);
  EXPECT_EQ(got[1].answered, 200);
  EXPECT_EQ(std::set<std::string>({got[0].webhook_id, got[1].webhook_id}).size(), 1u)
      << "one distinct webhook-id";
  EXPECT_EQ(got[0].body, got[1].body) << "a redelivery signs the same bytes";
  ExpectSigned(got, job);
  const json body = json::parse(got[1].body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << got[1].body;
  EXPECT_EQ(body["type"], "job.completed");
  EXPECT_EQ(body["job"], job) << "the body is the job view GET /api/v1/jobs/{id} answers";
  EXPECT_EQ(delivered["payload"]["webhook_id"], got[1].webhook_id);
}

TEST_F(CallbackTest, TheSignedUrlUploadCarriesACallbackToo) {
  const std::string bytes = TaggedPdf(kRFaqPdf, "callback-two-step");
  HttpResponse declared = client_->PostJson("/api/v1/upload",
                                            {{"filename", "R-FAQ.pdf"},
                                             {"bytes_len", bytes.size()},
                                             {"mime", "application/pdf"},
                                             {"sha256", Sha256Hex(bytes)},
                                             {"callback_url", receiver_->url()}},
                                            token_);
  ASSERT_EQ(declared.status, 200) << declared.Describe();
  const std::string job_id = declared.Json().value("job_id", "");
  ASSERT_EQ(PutBlob(*client_, declared.Json().value("signed_url", ""), bytes).status, 200);
  ASSERT_FALSE(WaitForEvent(*client_, token_, job_id, "CALLBACK_DELIVERED", 60'000).is_null());
  const auto got = receiver_->deliveries();
  ASSERT_EQ(got.size(), 1u);
  const json job = client_->Get("/api/v1/jobs/" + job_id, token_).Json();
  ExpectSigned(got, job);
  const json body = json::parse(got[0].body, nullptr, false);
  EXPECT_EQ(body["type"], "job.completed");
  EXPECT_EQ(body["job"], job);
}

// Every parse fails for good, so the job dead-letters (job.failed); the receiver never
// succeeds, and INGESTD_CALLBACK_MAX_AGE_MS later the callback is given up with a job event.
class CallbackGiveUpTest : public CallbackTest {
 protected:
  void SetUp() override {
    receiver_ = std::make_unique<fakes::FakeWebhookReceiver>(
        kSecret, std::vector<fakes::FakeReply>(100, Status500()));
    CallbackTest::SetUp();
  }
  std::map<std::string, std::string> ServerEnv() const override {
    auto env = CallbackTest::ServerEnv();
    env["INGESTD_MOCK_PARSE_FAULTS"] = "permanent";
    env["INGESTD_CALLBACK_MAX_AGE_MS"] = "2000";
    return env;
  }
};

TEST_F(CallbackGiveUpTest, ACallbackThatNeverSucceedsIsGivenUpWithAJobEvent) {
  HttpResponse up = UploadWithCallback(*client_, token_, "callback-give-up", receiver_->url());
  ASSERT_EQ(up.status, 202) << up.Describe();
  const std::string job_id = up.Json().value("job_id", "");
  const json gave_up = WaitForEvent(*client_, token_, job_id, "CALLBACK_GAVE_UP");
  ASSERT_FALSE(gave_up.is_null()) << "given up after the max age";
  EXPECT_EQ(gave_up["payload"]["reason"], "MAX_AGE");
  EXPECT_EQ(gave_up["payload"]["type"], "job.failed");
  const auto got = receiver_->deliveries();
  ASSERT_GE(got.size(), 1u);
  EXPECT_EQ(gave_up["payload"]["webhook_id"], got[0].webhook_id);
  for (const auto& d : got) {
    EXPECT_EQ(d.answered, 500);
    EXPECT_EQ(d.webhook_id, got[0].webhook_id);
  }
  const json body = json::parse(got[0].body, nullptr, false);
  EXPECT_EQ(body["type"], "job.failed");
  EXPECT_EQ(body["job"]["state"], "deadletter");
  ExpectSigned(got, client_->Get("/api/v1/jobs/" + job_id, token_).Json());
}

// Without INGESTD_CALLBACK_ALLOW_PRIVATE: loopback, link-local and private targets, and
// their IPv6 disguises, are refused on both upload paths, and nothing is stored.
class CallbackUrlPolicyTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_CALLBACK_SECRET", kSecret}};
  }
};

TEST_F(CallbackUrlPolicyTest, ForbiddenAndMalformedCallbackUrlsAre400) {
  const std::string bytes = TaggedPdf(kRFaqPdf, "callback-policy");
  auto declare = [&](const json& url) {
    return client_->PostJson("/api/v1/upload",
                             {{"filename", "R-FAQ.pdf"},
                              {"bytes_len", bytes.size()},
                              {"mime", "application/pdf"},
                              {"sha256", Sha256Hex(bytes)},
                              {"callback_url", url}},
                             token_);
  };
  for (const char* url :
       {"http://127.0.0.1:9/h", "http://localhost/h", "http://[::1]/h", "http://0.0.0.0/h",
        "http://[::]/h", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/h",
        "http://172.16.5.4/h", "http://192.168.0.1/h", "http://[fd00::1]/h", "http://[fe80::1]/h",
        "http://[::ffff:127.0.0.1]/h", "https://[::ffff:10.0.0.1]:8443/h"}) {
    HttpResponse a = declare(url);
    EXPECT_EQ(a.status, 400) << url;
    EXPECT_EQ(a.Json()["error"]["code"], "CALLBACK_URL_FORBIDDEN") << url << ": " << a.body;
    HttpResponse b = UploadWithCallback(*client_, token_, "callback-policy", url);
    EXPECT_EQ(b.status, 400) << url;
    EXPECT_EQ(b.Json()["error"]["code"], "CALLBACK_URL_FORBIDDEN") << url << ": " << b.body;
  }
  for (const json& url : {json("ftp://example.com/h"), json("example.com/h"), json("http://"),
                          json("http://user:pw@example.com/h"), json("http://exa mple.com/"),
                          json("http://example.com:99999/"), json(42)}) {
    HttpResponse a = declare(url);
    EXPECT_EQ(a.status, 400) << url;
    EXPECT_EQ(a.Json()["error"]["code"], "INVALID_FIELD") << url << ": " << a.body;
    if (url.is_string()) {
      HttpResponse b = UploadWithCallback(*client_, token_, "callback-policy", url);
      EXPECT_EQ(b.Json()["error"]["code"], "INVALID_FIELD") << url << ": " << b.body;
    }
  }
  EXPECT_EQ(client_->Get("/api/v1/jobs", token_).Json()["jobs"].size(), 0u) << "nothing stored";
  EXPECT_EQ(StrayDataFiles(server_->data_dir()), std::vector<std::string>{});
}

// No INGESTD_CALLBACK_SECRET: callbacks are off, and an upload asking for one is refused
// rather than accepted and never called back.
TEST_F(ServerTest, WithoutASecretAnUploadNamingACallbackIsRefused) {
  HttpResponse r = UploadWithCallback(*client_, token_, "callback-off", "https://example.com/h");
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_EQ(r.Json()["error"]["code"], "CALLBACKS_NOT_CONFIGURED");
}

}  // namespace
}  // namespace ingestd::itest
