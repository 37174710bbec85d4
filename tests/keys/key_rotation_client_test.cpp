// The real provider clients with several keys, against the fakes over sockets: a revoked key
// (the provider's own 401) leaves rotation and the call goes on with the next key; reloads
// under load lose no call; every paid request lands in the audit sink exactly as the fake
// saw it (same count, key, status, tokens).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "services/http/curl_http_client.h"
#include "services/llamaparse_parser.h"
#include "services/openai_embedder.h"
#include "tests/fakes/fake_llamaparse_server.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd {
namespace {

constexpr char kKey1[] = "sk-fake-0123456789abcdef";  // the fake's own key
constexpr char kKey2[] = "sk-fake-second-2222222222";
constexpr char kKey3[] = "sk-fake-third-33333333333";
constexpr char kKey4[] = "sk-fake-fourth-4444444444";

const std::map<std::string, std::string>& IdOfAuth() {
  static const std::map<std::string, std::string> ids = {
      {std::string("Bearer ") + kKey1, "k1"},     {std::string("Bearer ") + kKey2, "k2"},
      {std::string("Bearer ") + kKey3, "k3"},     {std::string("Bearer ") + kKey4, "k4"},
      {"Bearer llx-fake-0123456789abcdef", "l1"}, {"Bearer llx-fake-second-22222222", "l2"}};
  return ids;
}

class MemoryAudit final : public AuditSink {
 public:
  void Record(AuditRecord r) override {
    std::lock_guard lock(mu_);
    rows_.push_back(std::move(r));
  }
  std::vector<AuditRecord> rows() const {
    std::lock_guard lock(mu_);
    return rows_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<AuditRecord> rows_;
};

// (key id, HTTP status, tokens) of every request, sorted: one for one, whatever the order.
using Seen = std::vector<std::tuple<std::string, int, int64_t>>;

Seen FromFake(const std::vector<fakes::LoggedRequest>& log) {
  Seen out;
  for (const auto& r : log) {
    if (r.target == "/v1/embeddings")
      out.emplace_back(IdOfAuth().at(r.authorization), r.status, r.tokens);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Seen FromAudit(const std::vector<AuditRecord>& rows) {
  Seen out;
  for (const auto& a : rows) out.emplace_back(a.key_id, a.http_status, a.tokens);
  std::sort(out.begin(), out.end());
  return out;
}

class OpenAiKeysTest : public ::testing::Test {
 protected:
  OpenAiKeysTest() {
    fake_.AddKey(kKey2);
    fake_.AddKey(kKey3);
    fake_.AddKey(kKey4);
    config_.base_url = fake_.base_url();
    config_.retry.backoff = {
        .base_delay_ms = 1, .max_delay_ms = 10, .multiplier = 2.0, .jitter = Jitter::kNone};
  }
  std::unique_ptr<OpenAiEmbedder> Make() {
    OpenAiEmbedderDeps deps;
    deps.client = &client_;
    deps.keys = &ring_;
    deps.audit = &audit_;
    auto e = OpenAiEmbedder::Create(config_, deps);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return std::move(*e);
  }

  fakes::FakeOpenAiServer fake_;
  http::CurlHttpClient client_;
  KeyRing ring_{"openai", {{"k1", kKey1}, {"k2", kKey2}}};
  MemoryAudit audit_;
  OpenAiEmbedderConfig config_;
};

TEST_F(OpenAiKeysTest, ARevokedKeyLeavesRotationAndTheCallGoesOnWithTheNext) {
  fake_.RevokeKey(kKey1);
  auto embedder = Make();
  for (int call = 0; call < 4; ++call) {
    auto out = embedder->Embed({"alpha " + std::to_string(call), "beta"}, {"corr", "job", "u"});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->vectors.size(), 2u);
  }
  const auto states = ring_.States();
  EXPECT_FALSE(states[0].active);
  EXPECT_EQ(states[0].revoked_reason, "HTTP 401 from openai");
  EXPECT_TRUE(states[1].active);
  const auto log = fake_.requests();
  ASSERT_EQ(log.size(), 5u);  // one 401, then four calls on k2
  EXPECT_EQ(log[0].status, 401);
  EXPECT_EQ(log[0].body["input"][0], "alpha 0");
  for (size_t i = 1; i < log.size(); ++i) {
    EXPECT_EQ(log[i].authorization, std::string("Bearer ") + kKey2);
    EXPECT_EQ(log[i].status, 200);
  }
  EXPECT_EQ(FromAudit(audit_.rows()), FromFake(log));
  for (const auto& a : audit_.rows()) {
    EXPECT_EQ(a.job_id, "job");
    EXPECT_EQ(a.user_id, "u");
    EXPECT_EQ(a.service, "embed");
    EXPECT_EQ(a.inputs, 2);
    EXPECT_EQ(a.error_code.empty(), a.http_status == 200);
  }
}

TEST_F(OpenAiKeysTest, NoKeyLeftFailsAsNotConfigured) {
  fake_.RevokeKey(kKey1);
  fake_.RevokeKey(kKey2);
  auto embedder = Make();
  // The call that loses the last key reports the provider's 401 …
  auto out = embedder->Embed({"alpha"}, {"corr", "job", "u"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "UPSTREAM_AUTH");
  EXPECT_EQ(ring_.active_count(), 0u);
  // … and later calls fail as not configured, sending nothing.
  out = embedder->Embed({"beta"}, {"corr", "job", "u"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), "PROVIDER_KEYS_EXHAUSTED");
  EXPECT_FALSE(out.status().retryable());
  EXPECT_EQ(FromAudit(audit_.rows()), FromFake(fake_.requests()));
  EXPECT_EQ(audit_.rows().size(), 2u);
  EXPECT_EQ(audit_.rows()[0].error_code, "UPSTREAM_AUTH");
}

TEST_F(OpenAiKeysTest, ReloadsUnderLoadLoseNoCall) {
  auto embedder = Make();
  std::atomic<int> failures{0}, calls{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 6; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        auto out = embedder->Embed({"w" + std::to_string(t) + " c" + std::to_string(i)},
                                   {"corr", "job-" + std::to_string(t), "u"});
        if (!out.ok()) ++failures;
        ++calls;
      }
    });
  }
  while (calls < 30) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // The operator rotates: new keys in, then the old ones are deleted at the provider while
  // calls that took them may still be in flight.
  ring_.Replace({{"k3", kKey3}, {"k4", kKey4}});
  fake_.RevokeKey(kKey1);
  fake_.RevokeKey(kKey2);
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(calls, 90);
  // After the reload only the new keys are handed out.
  auto after = embedder->Embed({"after"}, {"corr", "job", "u"});
  ASSERT_TRUE(after.ok());
  const std::string last = fake_.requests().back().authorization;
  EXPECT_TRUE(last == std::string("Bearer ") + kKey3 || last == std::string("Bearer ") + kKey4);
  EXPECT_EQ(FromAudit(audit_.rows()), FromFake(fake_.requests()));
}

TEST(LlamaParseKeysTest, ARevokedKeyLeavesRotationAndUploadAndResultAreAudited) {
  fakes::FakeLlamaParseServer fake;
  fake.AddKey("llx-fake-second-22222222");
  fake.RevokeKey("llx-fake-0123456789abcdef");
  const std::string pdf =
      (std::filesystem::temp_directory_path() / ("keys_lp_" + std::to_string(::getpid()) + ".pdf"))
          .string();
  std::ofstream(pdf) << "%PDF-1.4\n% keys test\n%%EOF\n";
  struct Recorder final : ProviderJobRecorder {
    Result<std::optional<std::string>> Find(const CallContext&) override {
      return std::optional<std::string>();
    }
    Status Record(const CallContext&, const std::string&) override { return Status(); }
    Status Close(const CallContext&, const std::string&) override { return Status(); }
  } recorder;
  http::CurlHttpClient client;
  http::FakeRetryEnv env;
  FakeClock clock;
  KeyRing ring("llamaparse",
               {{"l1", "llx-fake-0123456789abcdef"}, {"l2", "llx-fake-second-22222222"}});
  MemoryAudit audit;
  LlamaParseConfig config;
  config.base_url = fake.base_url();
  auto parser = LlamaParseParser::Create(config, {&recorder, &client, &env, &clock, &ring, &audit});
  ASSERT_TRUE(parser.ok()) << parser.status().ToString();
  auto out = (*parser)->Parse({pdf, 30, "doc-1"}, {"corr", "job", "u"});
  std::filesystem::remove(pdf);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FALSE(ring.States()[0].active);
  // The fake's upload and result requests, one for one with the audit rows.
  Seen fake_seen;
  for (const auto& r : fake.requests()) {
    if (r.target.ends_with("/upload") || r.target.ends_with("/result/markdown")) {
      fake_seen.emplace_back(IdOfAuth().at(r.authorization), r.status, 0);
    }
  }
  std::sort(fake_seen.begin(), fake_seen.end());
  EXPECT_EQ(FromAudit(audit.rows()), fake_seen);
  ASSERT_EQ(audit.rows().size(), 3u);  // upload 401 (l1), upload 200 (l2), result 200
  EXPECT_EQ(audit.rows().back().operation, "result");
  EXPECT_EQ(audit.rows().back().pages, fakes::FakeLlamaParseServer::kPages);
  EXPECT_EQ(audit.rows().back().service, "parse");
}

}  // namespace
}  // namespace ingestd
