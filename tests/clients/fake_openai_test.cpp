// The fake speaks OpenAI's embeddings protocol (checked here through the real libcurl
// client, which this also exercises: timeouts, cut bodies, connection reuse).
#include <gtest/gtest.h>

#include <cmath>

#include "services/http/curl_http_client.h"
#include "services/openai_wire.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::fakes {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;

class FakeOpenAiTest : public ::testing::Test {
 protected:
  Result<HttpResponse> Post(const json& body, std::string key = "sk-fake-0123456789abcdef") {
    HttpRequest req;
    req.method = "POST";
    req.url = server.base_url() + "/v1/embeddings";
    req.headers = {{"Content-Type", "application/json"}, {"X-Correlation-ID", "corr-1"}};
    if (!key.empty()) req.headers.emplace_back("Authorization", "Bearer " + key);
    req.body = body.dump();
    return client.Send(req, timeouts);
  }
  static json Body(const HttpResponse& r) { return json::parse(r.body); }

  FakeOpenAiServer server{FakeOpenAiOptions{.hang_ms = 3'000}};
  http::CurlHttpClient client;
  http::HttpTimeouts timeouts;
};

void ExpectErrorShape(const json& body, const std::string& type) {
  ASSERT_TRUE(body.contains("error")) << body;
  const json& e = body["error"];
  EXPECT_TRUE(e["message"].is_string());
  EXPECT_EQ(e["type"], type);
  EXPECT_TRUE(e.contains("param"));
  EXPECT_TRUE(e.contains("code"));
}

TEST_F(FakeOpenAiTest, Base64VectorsMatchInputsByIndex) {
  auto r = Post({{"model", "text-embedding-3-small"},
                 {"input", {"alpha", "beta", "gamma"}},
                 {"encoding_format", "base64"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->status, 200);
  const json body = Body(*r);
  ASSERT_EQ(body["data"].size(), 3u);
  const std::vector<std::string> inputs{"alpha", "beta", "gamma"};
  for (const json& item : body["data"]) {
    auto v = openai::DecodeFloat32Base64(item["embedding"].get<std::string>());
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, FakeOpenAiServer::VectorFor("text-embedding-3-small", 1536,
                                              inputs[item["index"].get<size_t>()]));
  }
  EXPECT_EQ(body["data"][0]["index"], 2);  // reversed: clients must map by index
  EXPECT_EQ(body["usage"]["prompt_tokens"], 3);
  EXPECT_EQ(body["usage"]["total_tokens"], 3);
  EXPECT_TRUE(r->Header("x-request-id").has_value());
  EXPECT_TRUE(r->Header("x-ratelimit-remaining-tokens").has_value());
  EXPECT_EQ(server.requests().at(0).correlation_id, "corr-1");
}

TEST_F(FakeOpenAiTest, FloatFormatAndDimensions) {
  auto r = Post({{"model", "text-embedding-3-large"}, {"input", "hello"}, {"dimensions", 256}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200);
  const json body = Body(*r);
  EXPECT_EQ(body["data"][0]["embedding"].get<std::vector<float>>(),
            FakeOpenAiServer::VectorFor("text-embedding-3-large", 256, "hello"));
  auto bad = Post({{"model", "text-embedding-3-small"}, {"input", "x"}, {"dimensions", 5000}});
  EXPECT_EQ(bad->status, 400);
}

TEST_F(FakeOpenAiTest, AuthFailuresAre401WithoutTheKey) {
  auto missing = Post({{"model", "text-embedding-3-small"}, {"input", "x"}}, "");
  EXPECT_EQ(missing->status, 401);
  ExpectErrorShape(Body(*missing), "invalid_request_error");
  auto wrong = Post({{"model", "text-embedding-3-small"}, {"input", "x"}}, "sk-wrong-key-123456");
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(Body(*wrong)["error"]["code"], "invalid_api_key");
  EXPECT_EQ(Body(*wrong)["error"]["message"].get<std::string>().find("sk-wrong-key-123456"),
            std::string::npos);
}

TEST_F(FakeOpenAiTest, ValidationErrors) {
  const std::string model = "text-embedding-3-small";
  EXPECT_EQ(Post({{"model", model}, {"input", {"a", ""}}})->status, 400);
  EXPECT_EQ(Post({{"model", model}, {"input", json::array()}})->status, 400);
  EXPECT_EQ(Post({{"model", model}, {"input", std::vector<std::string>(2049, "a")}})->status, 400);
  EXPECT_EQ(Post({{"model", model}, {"input", std::vector<std::string>(2048, "a")}})->status, 200);
  std::string long_input;
  for (int i = 0; i < 8193; ++i) long_input += " a";
  auto too_long = Post({{"model", model}, {"input", long_input}});
  EXPECT_EQ(too_long->status, 400);
  ExpectErrorShape(Body(*too_long), "invalid_request_error");
  // 37 inputs of 8192 tokens = 303,104 > 300,000.
  long_input.resize(8192 * 2);
  auto too_many = Post({{"model", model}, {"input", std::vector<std::string>(37, long_input)}});
  EXPECT_EQ(too_many->status, 400);
  EXPECT_EQ(Post({{"model", model}, {"input", "x"}, {"encoding_format", "hex"}})->status, 400);
  EXPECT_EQ(Post({{"model", "nope"}, {"input", "x"}})->status, 404);
}

TEST_F(FakeOpenAiTest, ScriptedHttpFaults) {
  server.PushFaults({{EmbedFault::kRateLimit, "2", "", ""},
                     {EmbedFault::kRateLimit, "", "150", ""},
                     {EmbedFault::kQuota, "", "", ""},
                     {EmbedFault::kServerError, "", "", ""},
                     {EmbedFault::kUnavailable, "", "", ""}});
  const json body = {{"model", "text-embedding-3-small"}, {"input", "x"}};
  auto a = Post(body);
  EXPECT_EQ(a->status, 429);
  EXPECT_EQ(a->Header("retry-after"), "2");
  EXPECT_EQ(Body(*a)["error"]["code"], "rate_limit_exceeded");
  auto b = Post(body);
  EXPECT_EQ(b->Header("retry-after-ms"), "150");
  auto c = Post(body);
  EXPECT_EQ(c->status, 429);
  EXPECT_EQ(Body(*c)["error"]["code"], "insufficient_quota");
  EXPECT_EQ(Post(body)->status, 500);
  EXPECT_EQ(Post(body)->status, 503);
  EXPECT_EQ(Post(body)->status, 200);
}

TEST_F(FakeOpenAiTest, HangTimesOutAndCutBodyIsATransportError) {
  server.PushFault(EmbedFault::kHang);
  timeouts.total_ms = 300;
  auto hung = Post({{"model", "text-embedding-3-small"}, {"input", "x"}});
  ASSERT_FALSE(hung.ok());
  EXPECT_EQ(hung.status().code(), "UPSTREAM_TIMEOUT");
  EXPECT_TRUE(hung.status().retryable());
  server.PushFault(EmbedFault::kTruncatedBody);
  timeouts.total_ms = 5'000;
  auto cut = Post({{"model", "text-embedding-3-small"}, {"input", "x"}});
  ASSERT_FALSE(cut.ok());
  EXPECT_TRUE(cut.status().retryable()) << cut.status().ToString();
}

TEST_F(FakeOpenAiTest, ScriptedDataFaults) {
  const json body = {
      {"model", "text-embedding-3-small"}, {"input", {"a", "b"}}, {"encoding_format", "base64"}};
  server.PushFault(EmbedFault::kTruncatedJson);
  EXPECT_TRUE(json::parse(Post(body)->body, nullptr, false).is_discarded());
  server.PushFault(EmbedFault::kMalformedJson);
  EXPECT_TRUE(json::parse(Post(body)->body, nullptr, false).is_discarded());
  server.PushFault(EmbedFault::kWrongCount);
  EXPECT_EQ(Body(*Post(body))["data"].size(), 1u);
  server.PushFault(EmbedFault::kWrongDimension);
  auto dims = Body(*Post(body))["data"][0]["embedding"].get<std::string>();
  EXPECT_EQ(openai::DecodeFloat32Base64(dims)->size(), 1535u);
  server.PushFault(EmbedFault::kNaN);
  auto nan = Body(*Post(body))["data"][0]["embedding"].get<std::string>();
  EXPECT_TRUE(std::isnan(openai::DecodeFloat32Base64(nan)->at(0)));
}

TEST_F(FakeOpenAiTest, ConnectionsAreReused) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Post({{"model", "text-embedding-3-small"}, {"input", "x"}})->status, 200);
  }
  EXPECT_EQ(server.connections_accepted(), 1);
}

TEST(OpenAiWire, Base64RoundTripIsLittleEndian) {
  const std::vector<float> v{1.0f, -2.5f, 0.0f};
  const std::string b64 = openai::EncodeFloat32Base64(v);
  EXPECT_EQ(b64, "AACAPwAAIMAAAAAA");  // 1.0f = 00 00 80 3f
  EXPECT_EQ(openai::DecodeFloat32Base64(b64), v);
  EXPECT_EQ(openai::DecodeFloat32Base64("AACAPw"), std::nullopt);  // not padded to 4
  EXPECT_EQ(openai::DecodeFloat32Base64("AACA"), std::nullopt);    // 3 bytes: not a float
  EXPECT_EQ(openai::DecodeFloat32Base64("!!!!"), std::nullopt);
}

}  // namespace
}  // namespace ingestd::fakes
