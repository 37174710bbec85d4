// The free health probes of the real clients against the fakes: what a healthy service
// answers, and how an outage, a bad key, a missing model and a hang come back. A probe is
// one request, never an embedding or an upload.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "services/http/curl_http_client.h"
#include "services/llamaparse_parser.h"
#include "services/openai_embedder.h"
#include "tests/fakes/fake_llamaparse_server.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd {
namespace {

using fakes::EmbedFault;
using fakes::FakeLlamaParseServer;
using fakes::FakeOpenAiOptions;
using fakes::FakeOpenAiServer;
using fakes::UploadFault;

const CallContext kCtx{"corr-probe", "", ""};

class OpenAiHealthTest : public ::testing::Test {
 protected:
  Status Check() {
    config.base_url = server.base_url();
    auto e = OpenAiEmbedder::Create(config, {&client, nullptr, &clock});
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return (*e)->CheckHealth(kCtx);
  }

  FakeOpenAiServer server{FakeOpenAiOptions{.hang_ms = 3'000}};
  http::CurlHttpClient client;
  FakeClock clock;
  OpenAiEmbedderConfig config = [] {
    OpenAiEmbedderConfig c;
    c.api_key = "sk-fake-0123456789abcdef";
    return c;
  }();
};

TEST_F(OpenAiHealthTest, AHealthyServiceAnswersTheModelForFree) {
  EXPECT_TRUE(Check().ok());
  const auto log = server.requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].target, "/v1/models/text-embedding-3-small");
  EXPECT_EQ(log[0].correlation_id, "corr-probe");
  EXPECT_EQ(log[0].inputs, 0u);  // nothing embedded, nothing billed
  EXPECT_EQ(log[0].status, 200);
}

TEST_F(OpenAiHealthTest, AnOutageIsRetryableAndNotRetriedHere) {
  server.SetOutage(EmbedFault::kUnavailable);
  Status s = Check();
  EXPECT_EQ(s.code(), "UPSTREAM_UNAVAILABLE");
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(server.requests().size(), 1u);
  server.SetOutage(EmbedFault::kNone);
  EXPECT_TRUE(Check().ok());
}

TEST_F(OpenAiHealthTest, ProbesLeaveTheQueuedEmbeddingFaultsAlone) {
  server.PushFault(EmbedFault::kServerError);
  EXPECT_TRUE(Check().ok());
  config.retry.max_attempts = 1;
  auto one_shot = OpenAiEmbedder::Create(config, {&client, nullptr, &clock});
  // The fault queued before the probe still meets the first embeddings request.
  EXPECT_EQ((*one_shot)->Embed({"text"}, kCtx).status().code(), "UPSTREAM_UNAVAILABLE");
}

TEST_F(OpenAiHealthTest, ABadKeyOrAMissingModelIsNotHealthy) {
  config.api_key = "sk-wrong-key-000000000000";
  Status auth = Check();
  EXPECT_EQ(auth.code(), "UPSTREAM_AUTH");
  EXPECT_EQ(auth.message().find("sk-wrong"), std::string::npos);
  config.api_key = "sk-fake-0123456789abcdef";
  config.model = "text-embedding-4-imaginary";
  config.dimensions = 256;
  EXPECT_EQ(Check().code(), "UPSTREAM_BAD_REQUEST");
}

TEST_F(OpenAiHealthTest, AModelAnswerOfTheWrongTypeIsABadResponseNotAThrow) {
  server.SetAnswerPatch({{"id", 5}});
  Status s = Check();
  EXPECT_EQ(s.code(), "UPSTREAM_BAD_RESPONSE");
  EXPECT_TRUE(s.retryable());
  server.SetAnswerPatch({{"id", nullptr}});  // a merge patch's null removes the member
  EXPECT_EQ(Check().code(), "UPSTREAM_BAD_RESPONSE");
  server.SetAnswerPatch(nullptr);
  EXPECT_TRUE(Check().ok());
}

TEST_F(OpenAiHealthTest, AHangEndsAtTheProbeTimeout) {
  server.SetOutage(EmbedFault::kHang);
  config.probe_timeouts = {.connect_ms = 500, .total_ms = 300};
  EXPECT_EQ(Check().code(), "UPSTREAM_TIMEOUT");
}

class LlamaParseHealthTest : public ::testing::Test {
 protected:
  Status Check() {
    config.base_url = server.base_url();
    auto p = LlamaParseParser::Create(config, {&recorder, &client, nullptr, &clock});
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return (*p)->CheckHealth(kCtx);
  }

  struct NoRecorder final : ProviderJobRecorder {
    Result<std::optional<std::string>> Find(const CallContext&) override {
      return std::optional<std::string>();
    }
    Status Record(const CallContext&, const std::string&) override { return Status(); }
    Status Close(const CallContext&, const std::string&) override { return Status(); }
  } recorder;
  FakeLlamaParseServer server;
  http::CurlHttpClient client;
  FakeClock clock;
  LlamaParseConfig config = [] {
    LlamaParseConfig c;
    c.api_key = "llx-fake-0123456789abcdef";
    return c;
  }();
};

TEST_F(LlamaParseHealthTest, AnUnknownJobIs404AndThatIsHealthy) {
  EXPECT_TRUE(Check().ok());
  EXPECT_EQ(server.requests_seen(), 1);
  EXPECT_EQ(server.uploads_accepted(), 0);  // nothing parsed, nothing billed
}

TEST_F(LlamaParseHealthTest, OutagesAndBadKeysAreNotHealthy) {
  server.SetOutage(UploadFault::kServerError);
  EXPECT_EQ(Check().code(), "UPSTREAM_UNAVAILABLE");
  server.SetOutage(UploadFault::kRateLimit);
  EXPECT_EQ(Check().code(), "UPSTREAM_RATE_LIMITED");
  server.SetOutage(UploadFault::kNone);
  EXPECT_TRUE(Check().ok());
  config.api_key = "llx-wrong";
  EXPECT_EQ(Check().code(), "UPSTREAM_AUTH");
  EXPECT_EQ(server.requests_seen(), 4);
}

TEST(DefaultHealthTest, ImplementationsWithNothingRemoteAreHealthyWithoutACall) {
  struct Quiet final : Embedder {
    std::string name() const override { return "quiet"; }
    std::string model() const override { return "quiet-1"; }
    int dimensions() const override { return 1; }
    Result<EmbedOutput> Embed(const std::vector<std::string>&, const CallContext&) override {
      return Status::Internal("CALLED", "must not be called");
    }
  } quiet;
  EXPECT_TRUE(quiet.CheckHealth(kCtx).ok());
}

}  // namespace
}  // namespace ingestd
