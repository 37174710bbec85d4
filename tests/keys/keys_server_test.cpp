// `ingestd serve` with several provider keys, against the fakes over sockets: a SIGHUP with a
// new key file while uploads run loses no job; a key the provider revoked leaves rotation
// (health, job event, log) and jobs complete on the other; GET /api/v1/audit (admin only)
// matches the fakes' own request logs one for one, with filters and paging.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "core/jwt.h"
#include "harness/test_support.h"
#include "tests/fakes/fake_llamaparse_server.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::itest {
namespace {

constexpr char kKey1[] = "sk-fake-0123456789abcdef";
constexpr char kKey2[] = "sk-fake-second-2222222222";
constexpr char kKey3[] = "sk-fake-third-33333333333";
constexpr char kKey4[] = "sk-fake-fourth-4444444444";
constexpr char kLlama1[] = "llx-fake-0123456789abcdef";
constexpr char kLlama2[] = "llx-fake-second-22222222";

std::string IdOf(const std::string& authorization) {
  static const std::map<std::string, std::string> ids = {
      {kKey1, "k1"}, {kKey2, "k2"}, {kKey3, "k3"}, {kKey4, "k4"}, {kLlama1, "l1"}, {kLlama2, "l2"}};
  auto it = ids.find(authorization.substr(std::string("Bearer ").size()));
  return it == ids.end() ? "?" : it->second;
}

std::string AdminToken() {
  JwtClaims claims;
  claims.sub = "ops";
  claims.role = "admin";
  claims.exp = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() +
               3600;
  return SignJwt(claims, kTestJwtSecret);
}

using Seen = std::vector<std::tuple<std::string, long, int64_t>>;  // key id, status, tokens

class KeysServerTest : public ServerTest {
 protected:
  KeysServerTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("keys-itest-" + std::to_string(::getpid()) + "-" + std::to_string(++instances_));
    std::filesystem::create_directories(dir_);
    WriteKeys("k1:" + std::string(kKey1) + "\nk2:" + kKey2 + "\n");
    for (const char* k : {kKey2, kKey3, kKey4}) openai_.AddKey(k);
    llamaparse_.AddKey(kLlama2);
  }
  ~KeysServerTest() override { std::filesystem::remove_all(dir_); }

  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "real"},
            {"EMBED_MODE", "real"},
            {"OPENAI_API_KEYS_FILE", KeyFile()},
            {"OPENAI_BASE_URL", openai_.base_url()},
            {"LLAMAPARSE_API_KEYS", std::string("l1:") + kLlama1 + ",l2:" + kLlama2},
            {"LLAMAPARSE_BASE_URL", llamaparse_.base_url()},
            {"INGESTD_KEYS_POLL_MS", "0"},  // SIGHUP alone reloads here
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"INGESTD_WORKERS", "4"},
            {"INGESTD_RETRY_BASE_MS", "100"},
            {"INGESTD_RETRY_MAX_MS", "500"}};
  }
  std::string KeyFile() const { return (dir_ / "openai.keys").string(); }
  void WriteKeys(const std::string& text) const {
    WriteFile(KeyFile() + ".tmp", text);
    std::filesystem::rename(KeyFile() + ".tmp", KeyFile());
  }
  std::string Upload(const std::string& tag) {
    HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, tag));
    EXPECT_EQ(up.status, 202) << up.Describe();
    return up.Json().value("job_id", "");
  }
  void ExpectComplete(const std::vector<std::string>& jobs) {
    for (const auto& id : jobs) {
      WaitResult done = WaitForJob(*client_, token_, id, IsSettled, 90000);
      EXPECT_TRUE(done.met && IsComplete(done.view)) << done.view.dump();
    }
  }
  json Audit(const std::string& query) {
    HttpResponse r = client_->Get("/api/v1/audit" + query, admin_);
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.Json();
  }
  // Every audit entry of a service, once the writer has caught up with `expected` rows.
  json AuditEntries(const std::string& service, size_t expected) {
    json entries;
    for (int i = 0; i < 100; ++i) {
      entries = Audit("?service=" + service + "&limit=500")["entries"];
      if (entries.size() >= expected) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return entries;
  }
  static Seen FromAudit(const json& entries) {
    Seen out;
    for (const auto& e : entries) {
      out.emplace_back(e["key_id"], e["http_status"].get<long>(), e["tokens"].get<int64_t>());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  Seen OpenAiSeen() const {
    Seen out;
    for (const auto& r : openai_.requests()) {
      if (r.target == "/v1/embeddings") out.emplace_back(IdOf(r.authorization), r.status, r.tokens);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  Seen LlamaParseSeen() const {
    Seen out;
    for (const auto& r : llamaparse_.requests()) {
      if (r.target.ends_with("/upload") || r.target.ends_with("/result/markdown")) {
        out.emplace_back(IdOf(r.authorization), r.status, 0);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  bool WaitForLog(const std::string& text, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 50) {
      if (ReadFile(server_->stderr_path()).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void ExpectNoSecretsInLogs() {
    const std::string log = ReadFile(server_->stderr_path());
    for (const char* k : {kKey1, kKey2, kKey3, kKey4, kLlama1, kLlama2}) {
      EXPECT_EQ(log.find(k), std::string::npos) << "a key reached the log";
    }
  }

  static inline int instances_ = 0;
  std::filesystem::path dir_;
  fakes::FakeOpenAiServer openai_;
  fakes::FakeLlamaParseServer llamaparse_;
  const std::string admin_ = AdminToken();
};

TEST_F(KeysServerTest, SighupWithANewKeySetWhileUploadsRunLosesNoJob) {
  std::vector<std::string> jobs;
  for (int i = 0; i < 6; ++i) jobs.push_back(Upload("before-" + std::to_string(i)));
  // The operator rotates: new keys in the file, SIGHUP, and once reloaded the old keys are
  // deleted at the provider.
  WriteKeys("k3:" + std::string(kKey3) + "\nk4:" + kKey4 + "\n");
  ASSERT_EQ(::kill(server_->pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForLog("provider keys reloaded", 10000));
  openai_.RevokeKey(kKey1);
  openai_.RevokeKey(kKey2);
  std::set<std::string> later;
  for (int i = 0; i < 6; ++i) {
    jobs.push_back(Upload("after-" + std::to_string(i)));
    later.insert(jobs.back());
  }
  ExpectComplete(jobs);
  // Jobs uploaded after the reload used only the new keys.
  std::set<std::string> later_corr;
  for (const auto& id : later) {
    later_corr.insert(WaitForJob(*client_, token_, id, IsSettled, 1000).view["correlation_id"]);
  }
  for (const auto& r : openai_.requests()) {
    if (!later_corr.contains(r.correlation_id)) continue;
    EXPECT_TRUE(IdOf(r.authorization) == "k3" || IdOf(r.authorization) == "k4")
        << IdOf(r.authorization);
  }
  const json health = client_->Get("/api/v1/services/health", admin_).Json();
  std::vector<std::string> ids;
  for (const auto& k : health["keys"]["openai"]) ids.push_back(k["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"k3", "k4"}));
  // Audit rows match the providers' own logs one for one.
  EXPECT_EQ(FromAudit(AuditEntries("embed", OpenAiSeen().size())), OpenAiSeen());
  EXPECT_EQ(FromAudit(AuditEntries("parse", LlamaParseSeen().size())), LlamaParseSeen());
  ExpectNoSecretsInLogs();
}

TEST_F(KeysServerTest, ARevokedKeyLeavesRotationAndJobsCompleteOnTheOther) {
  openai_.RevokeKey(kKey1);
  llamaparse_.RevokeKey(kLlama1);
  std::vector<std::string> jobs;
  for (int i = 0; i < 3; ++i) jobs.push_back(Upload("revoked-" + std::to_string(i)));
  ExpectComplete(jobs);

  const json health = client_->Get("/api/v1/services/health", admin_).Json();
  ASSERT_EQ(health["keys"]["openai"].size(), 2u) << health.dump();
  EXPECT_EQ(health["keys"]["openai"][0]["id"], "k1");
  EXPECT_EQ(health["keys"]["openai"][0]["state"], "revoked");
  EXPECT_EQ(health["keys"]["openai"][1]["state"], "active");
  EXPECT_EQ(health["keys"]["llamaparse"][0]["state"], "revoked");
  // Exactly one job saw each key go, and says so (key id only).
  int revoked_events = 0;
  for (const auto& id : jobs) {
    for (const auto& e : GetEvents(*client_, token_, id)) {
      if (e["code"] != "PROVIDER_KEY_REVOKED") continue;
      ++revoked_events;
      EXPECT_TRUE(e["payload"]["key_id"] == "k1" || e["payload"]["key_id"] == "l1") << e.dump();
    }
  }
  EXPECT_EQ(revoked_events, 2);
  EXPECT_TRUE(WaitForLog("provider key rejected; taken out of rotation", 1000));

  const json unauthorized = AuditEntries("embed", OpenAiSeen().size());
  EXPECT_EQ(FromAudit(unauthorized), OpenAiSeen());
  // Jobs embedding at the same moment may both have taken k1 before it left rotation.
  size_t fake_401 = 0;
  for (const auto& r : openai_.requests()) fake_401 += r.status == 401;
  const json only_401 = Audit("?status=401&service=embed")["entries"];
  ASSERT_GE(only_401.size(), 1u);
  EXPECT_EQ(only_401.size(), fake_401);
  for (const auto& e : only_401) {
    EXPECT_EQ(e["key_id"], "k1");
    EXPECT_EQ(e["error_code"], "UPSTREAM_AUTH");
    EXPECT_EQ(e["cost_nanos"], 0);
  }
  ExpectNoSecretsInLogs();
}

TEST_F(KeysServerTest, AuditIsAdminOnlyAndFiltersAndPages) {
  std::vector<std::string> jobs = {Upload("audit-1"), Upload("audit-2")};
  ExpectComplete(jobs);
  const size_t total = OpenAiSeen().size() + LlamaParseSeen().size();
  AuditEntries("embed", OpenAiSeen().size());
  AuditEntries("parse", LlamaParseSeen().size());

  HttpResponse user = client_->Get("/api/v1/audit", token_);
  EXPECT_EQ(user.status, 403);
  EXPECT_EQ(user.Json()["error"]["code"], "ADMIN_REQUIRED");
  EXPECT_EQ(client_->Get("/api/v1/audit").status, 401);
  EXPECT_EQ(client_->Get("/api/v1/audit?status=40x", admin_).status, 400);

  // Pages of 2, newest first, cover every row exactly once.
  std::set<int64_t> ids;
  std::string last_at = "9999";
  for (int offset = 0;; offset += 2) {
    const json page = Audit("?limit=2&offset=" + std::to_string(offset));
    EXPECT_EQ(page["totals"]["requests"], total);
    if (page["entries"].empty()) break;
    for (const auto& e : page["entries"]) {
      EXPECT_TRUE(ids.insert(e["id"].get<int64_t>()).second);
      EXPECT_LE(e["at"].get<std::string>(), last_at);
      last_at = e["at"];
    }
  }
  EXPECT_EQ(ids.size(), total);

  const json one_job = Audit("?job_id=" + jobs[0])["entries"];
  ASSERT_FALSE(one_job.empty());
  for (const auto& e : one_job) EXPECT_EQ(e["job_id"], jobs[0]);
  const json by_key = Audit("?key_id=l2&service=parse")["entries"];
  for (const auto& e : by_key) {
    EXPECT_EQ(e["key_id"], "l2");
    EXPECT_EQ(e["service"], "parse");
  }
  const json results = Audit("?service=parse&status=ok");
  int64_t pages = 0;
  for (const auto& e : results["entries"]) pages += e["pages"].get<int64_t>();
  EXPECT_EQ(pages, 2 * fakes::FakeLlamaParseServer::kPages);  // two results of 3 pages
  EXPECT_GT(results["totals"]["cost_nanos"].get<int64_t>(), 0);
  EXPECT_EQ(Audit("?from=2000-01-01&to=2000-01-02")["entries"].size(), 0u);
}

// The health route is open: anyone sees modes, breakers and health, only admins the keys.
TEST_F(KeysServerTest, ServicesHealthShowsKeyDetailToAdminsOnly) {
  const std::vector<std::pair<std::string, std::string>> callers = {
      {"anonymous", ""}, {"user", token_}, {"bad token", "not.a.jwt"}};
  for (const auto& [who, bearer] : callers) {
    HttpResponse r = client_->Get("/api/v1/services/health", bearer);
    ASSERT_EQ(r.status, 200) << who << ": " << r.Describe();
    const json health = r.Json();
    EXPECT_FALSE(health.contains("keys")) << who << ": " << r.body;
    ASSERT_TRUE(health["services"].is_array() && !health["services"].empty()) << r.body;
    for (const auto& s : health["services"]) {
      EXPECT_TRUE(s.contains("mode") && s.contains("breaker") && s.contains("recent_error_rate"))
          << s.dump();
    }
    for (const char* id : {"\"k1\"", "\"k2\"", "\"l1\"", "\"l2\""}) {
      EXPECT_EQ(r.body.find(id), std::string::npos) << who << " sees key id " << id;
    }
  }
  const json admin = client_->Get("/api/v1/services/health", admin_).Json();
  ASSERT_EQ(admin["keys"]["openai"].size(), 2u) << admin.dump();
  EXPECT_EQ(admin["keys"]["openai"][0]["id"], "k1");
  EXPECT_EQ(admin["keys"]["llamaparse"][0]["id"], "l1");
}

TEST_F(KeysServerTest, AChangedKeyFileIsReloadedWithoutASignal) {
  server_->Stop();
  server_->SetEnv("INGESTD_KEYS_POLL_MS", "100");
  Restart();
  WriteKeys("k4:" + std::string(kKey4) + "\n");
  std::vector<std::string> ids;
  for (int i = 0; i < 100 && ids != std::vector<std::string>{"k4"}; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ids.clear();
    const json health = client_->Get("/api/v1/services/health", admin_).Json();
    for (const auto& k : health["keys"]["openai"]) ids.push_back(k["id"]);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"k4"}));
}

}  // namespace
}  // namespace ingestd::itest
