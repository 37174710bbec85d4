// Live mode switching over sockets (issue #8): PUT /api/v1/services/{service}/mode is for
// admins only, validates the mode against what the server can serve, persists the switch so
// a second server on the same database applies it within a few poll intervals and a restart
// starts from it, and GET /api/v1/services/modes/history lists who switched what when.
// The cross-process cases run on SQLite and, on the pg_cluster fixture, on PostgreSQL.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "core/jwt.h"
#include "db/pg_test_support.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

constexpr char kPollMs[] = "200";
constexpr int kSeenWithinMs = 5000;  // 25 poll intervals: generous under ASan and load

std::string AdminToken(const std::string& user = "root") {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return SignJwt({.sub = user, .role = "admin", .exp = now + 3600}, kTestJwtSecret);
}

HttpResponse PutMode(HttpClient& client, const std::string& service, const std::string& body,
                     const std::string& bearer) {
  return client.Send({.method = "PUT",
                      .target = "/api/v1/services/" + service + "/mode",
                      .headers = {{"Content-Type", "application/json"}},
                      .bearer = bearer,
                      .body = body});
}

// The mode /api/v1/services/health reports for service ("" when it cannot be read).
std::string HealthMode(HttpClient& client, const std::string& service) {
  HttpResponse r = client.Get("/api/v1/services/health");
  if (r.status != 200) return "";
  for (const json& s : r.Json().value("services", json::array())) {
    if (s.value("service", "") == service) return s.value("mode", "");
  }
  return "";
}

// Polls until service runs under mode on the server behind client; returns the wait in ms or
// -1 when it did not within kSeenWithinMs.
int64_t WaitForMode(HttpClient& client, const std::string& service, const std::string& mode) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const int64_t waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
    if (HealthMode(client, service) == mode) return waited;
    if (waited > kSeenWithinMs) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

class ModesTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_SETTINGS_POLL_MS", kPollMs}};
  }
};

TEST_F(ModesTest, OnlyAdminsSwitchAndUnservableModesAreRefused) {
  HttpResponse r = PutMode(*client_, "parse", R"({"mode":"local"})", token_);
  EXPECT_EQ(r.status, 403) << r.Describe();
  EXPECT_EQ(r.ErrorCode(), "ADMIN_REQUIRED");
  r = client_->Get("/api/v1/services/modes/history", token_);
  EXPECT_EQ(r.status, 403) << r.Describe();
  EXPECT_EQ(PutMode(*client_, "parse", R"({"mode":"local"})", "").status, 401);

  const std::string admin = AdminToken();
  struct Refusal {
    std::string service, body;
    long status;
    std::string code;
  };
  for (const Refusal& c : std::vector<Refusal>{
           {"embed", R"({"mode":"turbo"})", 400, "SERVICE_MODE_UNKNOWN"},
           {"ocr", R"({"mode":"mock"})", 400, "SERVICE_UNKNOWN"},
           {"embed", R"({"mood":"mock"})", 400, "MISSING_FIELD"},
           {"embed", "not json", 400, "INVALID_JSON"},
           // No OPENAI_API_KEY / LLAMAPARSE_API_KEY on this server.
           {"embed", R"({"mode":"real"})", 503, "SERVICE_NOT_CONFIGURED"},
           {"embed", R"({"mode":"hybrid"})", 503, "SERVICE_NOT_CONFIGURED"},
           {"parse", R"({"mode":"real"})", 503, "SERVICE_NOT_CONFIGURED"},
       }) {
    r = PutMode(*client_, c.service, c.body, admin);
    EXPECT_EQ(r.status, c.status) << c.service << " " << c.body << ": " << r.Describe();
    EXPECT_EQ(r.ErrorCode(), c.code) << c.service << " " << c.body;
  }
  r = client_->Get("/api/v1/services/modes/history", admin);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_TRUE(r.Json()["changes"].empty()) << "a refused switch must not be recorded";
  EXPECT_EQ(HealthMode(*client_, "embed"), "mock");

  r = PutMode(*client_, "parse", R"({"mode":"local"})", admin);
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json change = r.Json();
  EXPECT_EQ(change["service"], "parse");
  EXPECT_EQ(change["from"], "mock");
  EXPECT_EQ(change["to"], "local");
  EXPECT_EQ(change["actor"], "root");
  EXPECT_EQ(change["correlation_id"], r.Header("x-correlation-id"));
  EXPECT_TRUE(IsRfc3339Utc(change["at"].get<std::string>()));
  EXPECT_EQ(HealthMode(*client_, "parse"), "local");  // at once in the switching process

  // The audit log line of the switch.
  bool logged = false;
  for (const json& line : ReadJsonLines(server_->stderr_path())) {
    if (line.value("msg", "") != "service mode changed") continue;
    logged = line.value("actor", "") == "root" && line.value("from", "") == "mock" &&
             line.value("to", "") == "local" &&
             line.value("correlation_id", "") == change["correlation_id"];
  }
  EXPECT_TRUE(logged) << server_->StderrTail();
}

TEST_F(ModesTest, ASwitchedModeServesTheNextJob) {
  const std::string admin = AdminToken();
  ASSERT_EQ(PutMode(*client_, "parse", R"({"mode":"local"})", admin).status, 200);
  ASSERT_EQ(PutMode(*client_, "embed", R"({"mode":"local"})", admin).status, 200);
  HttpResponse up = UploadOneShot(*client_, token_, "faq.pdf", TaggedPdf(kRFaqPdf, "modes"));
  ASSERT_EQ(up.status, 202) << up.Describe();
  const std::string job_id = up.Json()["job_id"];
  WaitResult done = WaitForJob(*client_, token_, job_id, IsSettled);
  ASSERT_TRUE(done.met && IsComplete(done.view)) << done.view.dump();
  // The job records the mode its parse stage actually ran under.
  EXPECT_EQ(done.view["stage_routes"]["parse"]["mode"], "local") << done.view.dump();
  EXPECT_EQ(done.view["stage_routes"]["parse"]["implementation"], "local") << done.view.dump();
  EXPECT_EQ(done.view["stage_routes"]["embed"]["mode"], "local") << done.view.dump();
  EXPECT_EQ(done.view["stage_routes"]["embed"]["implementation"], "local") << done.view.dump();
  // The job records the modes in force at upload, not the ones the server started with.
  EXPECT_EQ(done.view["service_mode"], "local") << done.view.dump();
}

// Two servers on one database: a switch on either reaches the other within a few poll
// intervals, history shows both, and a restart (with a different env default) starts from
// the persisted mode.
void CrossProcessSwitch(const std::map<std::string, std::string>& shared_env) {
  auto env = shared_env;
  env["INGESTD_SETTINGS_POLL_MS"] = kPollMs;
  ServerProcess a(env);
  ASSERT_EQ(a.Start(), "");
  if (!env.contains("DATABASE_URL")) env["INGESTD_DATA_DIR"] = a.data_dir();  // same SQLite file
  ServerProcess b(env);
  ASSERT_EQ(b.Start(), "") << b.StderrTail();
  HttpClient ca(a.base_url()), cb(b.base_url());
  const std::string admin = AdminToken("ops-1");
  ASSERT_EQ(HealthMode(cb, "parse"), "mock");

  HttpResponse r = PutMode(ca, "parse", R"({"mode":"local"})", admin);
  ASSERT_EQ(r.status, 200) << r.Describe();
  const int64_t waited = WaitForMode(cb, "parse", "local");
  EXPECT_GE(waited, 0) << "the second server never applied the switch\n" << b.StderrTail();
  std::printf("[ modes ] second process applied the switch after %lld ms (poll %s ms)\n",
              static_cast<long long>(waited), kPollMs);

  r = PutMode(cb, "parse", R"({"mode":"mock"})", AdminToken("ops-2"));
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_GE(WaitForMode(ca, "parse", "mock"), 0) << a.StderrTail();
  ASSERT_EQ(PutMode(ca, "parse", R"({"mode":"local"})", admin).status, 200);
  EXPECT_GE(WaitForMode(cb, "parse", "local"), 0);

  r = cb.Get("/api/v1/services/modes/history?limit=2", admin);
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json history = r.Json();
  EXPECT_EQ(history["modes"]["parse"], "local");
  EXPECT_EQ(history["modes"]["embed"], "mock");
  ASSERT_EQ(history["changes"].size(), 2u) << history.dump();
  const json& newest = history["changes"][0];
  const json& before = history["changes"][1];
  EXPECT_EQ(newest["actor"], "ops-1");
  EXPECT_EQ(newest["from"], "mock");
  EXPECT_EQ(newest["to"], "local");
  EXPECT_EQ(before["actor"], "ops-2");
  EXPECT_EQ(before["from"], "local");
  EXPECT_EQ(before["to"], "mock");
  EXPECT_GT(newest["change_id"].get<int64_t>(), before["change_id"].get<int64_t>());
  EXPECT_EQ(cb.Get("/api/v1/services/modes/history?offset=2", admin).Json()["changes"].size(), 1u);

  // A restart starts from the persisted mode, whatever the environment says.
  b.Stop();
  b.SetEnv("PARSE_MODE", "mock");
  ASSERT_EQ(b.Start(), "") << b.StderrTail();
  HttpClient cb2(b.base_url());
  EXPECT_EQ(HealthMode(cb2, "parse"), "local");
}

TEST(ModesCrossProcessTest, SqliteSecondServerAndRestartSeeTheSwitch) {
  if (ServerProcess::BinaryPath().empty()) GTEST_SKIP() << "no ingestd binary in this build";
  CrossProcessSwitch({});
}

TEST(ModesCrossProcessTest, PostgresSecondServerAndRestartSeeTheSwitch) {
  if (ServerProcess::BinaryPath().empty()) GTEST_SKIP() << "no ingestd binary in this build";
  if (pg::TestClusterUrl().empty()) GTEST_SKIP() << "no PostgreSQL test cluster";
  const std::string url = pg::CreateTestDatabase();
  ASSERT_FALSE(url.empty());
  CrossProcessSwitch({{"DATABASE_URL", url}});
  pg::DropTestDatabase(url);
}

}  // namespace
}  // namespace ingestd::itest
