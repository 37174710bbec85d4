// OpenAiEmbedder against the fake OpenAI server: packing, truncation, decoding, and every
// fault of issue 4 — which ones retry, after which delays, and that no result is made up.
#include "services/openai_embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "services/http/curl_http_client.h"
#include "services/openai_packing.h"
#include "tests/fakes/fake_openai_server.h"
#include "text/tokenizer.h"

namespace ingestd {
namespace {

using fakes::EmbedFault;
using fakes::FakeOpenAiServer;
using fakes::FaultSpec;

int64_t TokensOf(const std::vector<std::string>& texts) {
  int64_t n = 0;
  for (const auto& t : texts) n += static_cast<int64_t>(Tokenizer::Cl100kBase().Count(t));
  return n;
}

class OpenAiEmbedderTest : public ::testing::Test {
 protected:
  OpenAiEmbedderTest() {
    config.api_key = fakes::kOpenAiTestKey;
    config.base_url = server.base_url();
    config.retry.backoff = {
        .base_delay_ms = 100, .max_delay_ms = 5'000, .multiplier = 2.0, .jitter = Jitter::kNone};
    config.retry.max_attempts = 4;
    config.timeouts.total_ms = 2'000;
  }
  std::unique_ptr<OpenAiEmbedder> Make() {
    auto e = OpenAiEmbedder::Create(config, {&client, &env, &clock});
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return std::move(e.value());
  }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts) {
    return Make()->Embed(texts, CallContext{"corr-42", "job-7", "user-1"});
  }
  void ExpectVectorsOf(const EmbedOutput& out, const std::vector<std::string>& texts) {
    ASSERT_EQ(out.vectors.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ(out.vectors[i],
                FakeOpenAiServer::VectorFor("text-embedding-3-small", 1536, texts[i]))
          << "vector " << i;
    }
  }

  FakeOpenAiServer server;
  http::CurlHttpClient client;
  http::FakeRetryEnv env;
  FakeClock clock;
  OpenAiEmbedderConfig config;
  const std::vector<std::string> texts{"alpha beta", "gamma", "delta epsilon zeta"};
};

TEST_F(OpenAiEmbedderTest, EmbedsMapsByIndexAndReportsUsage) {
  auto out = Embed(texts);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectVectorsOf(*out, texts);
  EXPECT_EQ(out->model, "text-embedding-3-small");
  EXPECT_EQ(out->implementation, "openai");
  EXPECT_EQ(out->total_tokens, TokensOf(texts));
  EXPECT_EQ(out->cost_usd, 0);  // usage only: the router prices it (ledger/price_table.h)
  const auto log = server.requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].correlation_id, "corr-42");
  EXPECT_EQ(log[0].authorization, std::string("Bearer ") + fakes::kOpenAiTestKey);
  EXPECT_EQ(log[0].body["encoding_format"], "base64");
  EXPECT_EQ(log[0].body["model"], "text-embedding-3-small");
  EXPECT_FALSE(log[0].body.contains("dimensions"));
}

// Hears the parts of a call; refuses (as a stopping worker does) from part refuse_from on.
class RecordingSink final : public EmbedSink {
 public:
  explicit RecordingSink(size_t refuse_from = SIZE_MAX) : refuse_from_(refuse_from) {}
  Status Accept(const std::vector<size_t>& indices, const std::vector<std::vector<float>>& vectors,
                const std::string& model, int dimensions) override {
    parts.push_back({indices, vectors});
    EXPECT_EQ(model, "text-embedding-3-small");
    EXPECT_EQ(dimensions, 1536);
    if (parts.size() < refuse_from_) return Status();
    return Status::Error(Kind::kConflict, "STAGE_CANCELLED", "stopping", false);
  }
  std::vector<std::pair<std::vector<size_t>, std::vector<std::vector<float>>>> parts;

 private:
  const size_t refuse_from_;
};

TEST_F(OpenAiEmbedderTest, EachAcceptedRequestIsReportedAsItReturns) {
  config.limits.max_inputs = 1;  // one request per text
  config.max_in_flight = 1;
  RecordingSink sink;
  CallContext ctx{"corr-42", "job-7", "user-1"};
  ctx.embedded = &sink;
  auto out = Make()->Embed(texts, ctx);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectVectorsOf(*out, texts);  // the result still holds every vector
  ASSERT_EQ(sink.parts.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(sink.parts[i].first, std::vector<size_t>{i});
    EXPECT_EQ(sink.parts[i].second[0], out->vectors[i]);
  }
}

TEST_F(OpenAiEmbedderTest, ARefusedPartStopsTheCallAndItsBillingIsKept) {
  config.limits.max_inputs = 1;
  config.max_in_flight = 1;
  RecordingSink sink(/*refuse_from=*/2);
  UsageMeter billed;
  CallContext ctx{"corr-42", "job-7", "user-1"};
  ctx.embedded = &sink;
  ctx.billed = &billed;
  auto out = Make()->Embed(texts, ctx);
  EXPECT_EQ(out.status().code(), "STAGE_CANCELLED");
  EXPECT_EQ(sink.parts.size(), 2u);
  EXPECT_EQ(server.requests().size(), 2u);  // nothing sent after the refusal
  EXPECT_EQ(billed.units, server.billed_tokens());
  EXPECT_EQ(billed.units, TokensOf({texts[0], texts[1]}));
}

TEST_F(OpenAiEmbedderTest, DimensionsAreSentAndTagTheModel) {
  config.dimensions = 256;
  auto e = Make();
  EXPECT_EQ(e->dimensions(), 256);
  EXPECT_EQ(e->model(), "text-embedding-3-small@256");
  auto out = e->Embed({"x"}, {});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->vectors[0], FakeOpenAiServer::VectorFor("text-embedding-3-small", 256, "x"));
  EXPECT_EQ(server.requests()[0].body["dimensions"], 256);
}

TEST_F(OpenAiEmbedderTest, PacksIntoTheFewestRequests) {
  // 2,048-input requests to a sanitized fake on a busy machine can pass the fixture's 2 s
  // (a timeout is retried, and this test counts requests).
  config.timeouts.total_ms = 60'000;
  std::vector<std::string> many;
  for (int i = 0; i < 5000; ++i) many.push_back("text " + std::to_string(i));
  auto out = Embed(many);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectVectorsOf(*out, many);
  const auto log = server.requests();
  ASSERT_EQ(log.size(), 3u);  // ⌈5000 / 2048⌉
  for (const auto& r : log) EXPECT_LE(r.inputs, 2048u);
}

TEST_F(OpenAiEmbedderTest, TokenBudgetBindsBeforeTheInputCount) {
  config.limits.max_tokens = 10'000;  // 8192-token inputs: one per request
  std::string big;
  for (int i = 0; i < 4000; ++i) big += " a";  // 4000 tokens
  auto out = Embed({big, big, big, "small"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const auto log = server.requests();
  ASSERT_EQ(log.size(), 2u);  // {4000, 4000} fails (8000 + 4000 > 10000); {4000+4000}, {4000+1}
  for (const auto& r : log) EXPECT_LE(r.tokens, 10'000);
}

TEST_F(OpenAiEmbedderTest, OverlongInputsAreTruncatedAtATokenBoundary) {
  std::string huge;
  for (int i = 0; i < 9000; ++i) huge += " word";
  auto out = Embed({"short", huge});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->truncated_inputs, (std::vector<size_t>{1}));
  const auto log = server.requests();
  ASSERT_EQ(log.size(), 1u);
  const std::string sent = log[0].body["input"][1];
  EXPECT_EQ(Tokenizer::Cl100kBase().Count(sent), 8192u);
  EXPECT_TRUE(huge.starts_with(sent));
  EXPECT_EQ(out->vectors[1], FakeOpenAiServer::VectorFor("text-embedding-3-small", 1536, sent));
}

TEST_F(OpenAiEmbedderTest, EmptyInputIsRejectedWithoutARequest) {
  auto out = Embed({"a", ""});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "EMBED_EMPTY_INPUT");
  EXPECT_TRUE(server.requests().empty());
}

struct RetryCase {
  const char* name;
  FaultSpec fault;
  int64_t expected_sleep_ms;
};

void PrintTo(const RetryCase& c, std::ostream* os) { *os << c.name; }

class RetriedFaultTest : public OpenAiEmbedderTest,
                         public ::testing::WithParamInterface<RetryCase> {};

TEST_P(RetriedFaultTest, RetriesAfterTheRightDelayThenSucceeds) {
  if (GetParam().fault.fault == EmbedFault::kHang) config.timeouts.total_ms = 300;
  server.PushFaults({GetParam().fault});
  auto out = Embed(texts);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectVectorsOf(*out, texts);
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{GetParam().expected_sleep_ms}));
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(out->total_tokens,
            TokensOf(texts));  // usage of the answer that counted, not of the failure
}

INSTANTIATE_TEST_SUITE_P(
    Faults, RetriedFaultTest,
    ::testing::Values(
        RetryCase{"RateLimitNoHint", {EmbedFault::kRateLimit, "", "", ""}, 100},
        RetryCase{"RateLimitRetryAfter", {EmbedFault::kRateLimit, "2", "", ""}, 2'000},
        RetryCase{"RateLimitRetryAfterMs", {EmbedFault::kRateLimit, "", "750", ""}, 750},
        RetryCase{"RateLimitRetryAfterMsBelowBackoff", {EmbedFault::kRateLimit, "", "20", ""}, 100},
        // x-ratelimit-reset-* says when the limit is full again, not when one request fits.
        RetryCase{"RateLimitResetIsNoHint", {EmbedFault::kRateLimit, "", "", "1.5s"}, 100},
        RetryCase{"RateLimitResetOfMinutesIsNoHint", {EmbedFault::kRateLimit, "", "", "6m0s"}, 100},
        RetryCase{"ServerError", {EmbedFault::kServerError, "", "", ""}, 100},
        RetryCase{"Unavailable", {EmbedFault::kUnavailable, "", "", ""}, 100},
        RetryCase{"Hang", {EmbedFault::kHang, "", "", ""}, 100},
        RetryCase{"TruncatedJson", {EmbedFault::kTruncatedJson, "", "", ""}, 100},
        RetryCase{"TruncatedBody", {EmbedFault::kTruncatedBody, "", "", ""}, 100},
        RetryCase{"MalformedJson", {EmbedFault::kMalformedJson, "", "", ""}, 100},
        RetryCase{"WrongCount", {EmbedFault::kWrongCount, "", "", ""}, 100},
        RetryCase{"WrongDimension", {EmbedFault::kWrongDimension, "", "", ""}, 100},
        RetryCase{"NaN", {EmbedFault::kNaN, "", "", ""}, 100}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(OpenAiEmbedderTest, PersistentFaultGivesUpWithARetryHintAndNoVectors) {
  for (int i = 0; i < 4; ++i) server.PushFault(EmbedFault::kNaN);
  auto out = Embed(texts);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_BAD_RESPONSE");
  EXPECT_TRUE(out.status().retryable());
  EXPECT_EQ(out.status().retry_after_ms(), 800);
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{100, 200, 400}));
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST_F(OpenAiEmbedderTest, LongRetryAfterIsCappedAtTwoMinutesAndHandedToTheWorker) {
  server.PushFaults({{EmbedFault::kRateLimit, "3600", "", "6m0s"}});
  auto out = Embed(texts);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_RATE_LIMITED");
  EXPECT_EQ(out.status().kind(), Kind::kRateLimited);
  EXPECT_TRUE(out.status().retryable());
  EXPECT_EQ(out.status().retry_after_ms(), 120'000);
  EXPECT_TRUE(env.sleeps().empty());
}

TEST_F(OpenAiEmbedderTest, ShouldRetryFalseIsFinal) {
  FakeOpenAiServer refusing({.should_retry = "false"});
  config.base_url = refusing.base_url();
  refusing.PushFault(EmbedFault::kServerError);
  auto out = Embed(texts);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_UNAVAILABLE");
  EXPECT_FALSE(out.status().retryable());
  EXPECT_EQ(refusing.requests().size(), 1u);
  EXPECT_TRUE(env.sleeps().empty());
}

TEST_F(OpenAiEmbedderTest, ShouldRetryTrueRetriesABadRequest) {
  FakeOpenAiServer insisting({.should_retry = "true"});
  config.base_url = insisting.base_url();
  config.model = "text-embedding-unknown";  // answered 404 model_not_found
  config.dimensions = 8;
  auto out = Embed(texts);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_UNAVAILABLE");
  EXPECT_TRUE(out.status().retryable());
  EXPECT_EQ(insisting.requests().size(), 4u);
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{100, 200, 400}));
}

TEST_F(OpenAiEmbedderTest, QuotaIsNotRetried) {
  server.PushFault(EmbedFault::kQuota);
  auto out = Embed(texts);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_QUOTA");
  EXPECT_EQ(out.status().kind(), Kind::kBudgetExceeded);
  EXPECT_FALSE(out.status().retryable());
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(env.sleeps().empty());
}

TEST_F(OpenAiEmbedderTest, BadKeyIsAnAuthErrorThatNeverShowsTheKey) {
  config.api_key = "sk-proj-SECRETSECRETSECRET";
  auto out = Embed(texts);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_AUTH");
  EXPECT_FALSE(out.status().retryable());
  EXPECT_EQ(out.status().ToString().find("SECRET"), std::string::npos);
  EXPECT_EQ(out.status().ToString().find("sk-"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(OpenAiEmbedderTest, BadRequestIsNotRetried) {
  config.model = "text-embedding-unknown";
  config.dimensions = 8;
  auto out = Embed(texts);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_BAD_REQUEST");
  EXPECT_FALSE(out.status().retryable());
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(OpenAiEmbedderTest, OnlyTheFailedRequestOfAWaveIsResent) {
  std::vector<std::string> many;
  for (int i = 0; i < 3 * 2048; ++i) many.push_back("t" + std::to_string(i));
  server.PushFaults({{EmbedFault::kUnavailable, "", "", ""}});
  auto out = Embed(many);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectVectorsOf(*out, many);
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(OpenAiEmbedderThrottle, WaitsUntilTheNextWaveFitsNotForTheFullReset) {
  FakeOpenAiServer server(
      {.limit_requests = 3, .remaining_requests = 1, .reset_requests = "250ms"});
  http::CurlHttpClient client;
  http::FakeRetryEnv env;
  FakeClock clock;
  OpenAiEmbedderConfig config;
  config.api_key = fakes::kOpenAiTestKey;
  config.base_url = server.base_url();
  config.max_in_flight = 2;
  std::vector<std::string> many;
  for (int i = 0; i < 4 * 2048; ++i) many.push_back("w" + std::to_string(i));
  auto e = OpenAiEmbedder::Create(config, {&client, &env, &clock});
  ASSERT_TRUE(e.ok());
  auto out = (*e)->Embed(many, {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(server.requests().size(), 4u);
  // Two waves of two requests; the first left 1 of 3 requests, and the limit is full again
  // in 250 ms: the one more request the second wave needs is back in half of that.
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{125}));
}

TEST_F(OpenAiEmbedderTest, ConfigIsValidated) {
  config.api_key.clear();
  EXPECT_EQ(OpenAiEmbedder::Create(config).status().code(), "OPENAI_CONFIG");
  config.api_key = fakes::kOpenAiTestKey;
  config.base_url = "ftp://x";
  EXPECT_FALSE(OpenAiEmbedder::Create(config).ok());
  config.base_url = "https://api.openai.com";
  config.dimensions = 5000;
  EXPECT_FALSE(OpenAiEmbedder::Create(config).ok());
  config.dimensions.reset();
  config.model = "my-own-model";
  EXPECT_FALSE(OpenAiEmbedder::Create(config).ok());
  config.model = "text-embedding-ada-002";  // OpenAI refuses `dimensions` for it
  EXPECT_TRUE(OpenAiEmbedder::Create(config).ok());
  config.dimensions = 512;
  EXPECT_EQ(OpenAiEmbedder::Create(config).status().code(), "OPENAI_CONFIG");
}

TEST(PackRequests, FirstFitWithinBothLimits) {
  const openai::PackLimits limits{.max_inputs = 3, .max_tokens = 10};
  const std::vector<int64_t> tokens{6, 6, 3, 1, 1, 4, 2};
  auto packs = openai::PackRequests(tokens, limits);
  EXPECT_EQ(packs, (std::vector<std::vector<size_t>>{{0, 2, 3}, {1, 4, 6}, {5}}));
  EXPECT_EQ(openai::MinimumRequests(tokens, limits), 3u);
  std::vector<int64_t> uniform(100'000, 500);
  const openai::PackLimits real;
  EXPECT_EQ(openai::PackRequests(uniform, real).size(), openai::MinimumRequests(uniform, real));
}

}  // namespace
}  // namespace ingestd
