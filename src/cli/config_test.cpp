#include "cli/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace ingestd::cli {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Config, DefaultsWhenUnset) {
  auto c = LoadConfig(FakeEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.port, 8080);
  EXPECT_EQ(c->http.host, "127.0.0.1");
  EXPECT_EQ(c->api.max_upload_bytes, 100 * 1024 * 1024);
  EXPECT_EQ(c->workers, 2);
  EXPECT_EQ(c->database_url.rfind("sqlite://", 0), 0u);
}

TEST(Config, ReadsVariables) {
  auto c = LoadConfig(FakeEnv({{"INGESTD_PORT", "0"},
                               {"INGESTD_DATA_DIR", "/tmp/x"},
                               {"INGESTD_MAX_UPLOAD_BYTES", "1000"},
                               {"INGESTD_READ_TIMEOUT_MS", "250"},
                               {"INGESTD_WORKERS", "4"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.port, 0);
  EXPECT_EQ(c->database_url, "sqlite:///tmp/x/ingestd.db");
  EXPECT_EQ(c->api.max_upload_bytes, 1000);
  EXPECT_EQ(c->http.read_timeout.count(), 250);
  EXPECT_EQ(c->workers, 4);
}

TEST(Config, RejectsMalformedValuesNamingTheVariable) {
  for (auto [name, value] : {std::pair<std::string, std::string>{"INGESTD_PORT", "70000"},
                             {"INGESTD_PORT", "80x"},
                             {"INGESTD_WORKERS", "-1"},
                             {"INGESTD_MAX_UPLOAD_BYTES", "0"},
                             {"SERVICE_MODE", "bogus"},
                             {"PARSE_MODE", "bogus"},
                             {"EMBED_MODE", "bogus"},
                             {"INGESTD_LOCAL_EMBED_DIMS", "4"},
                             {"INGESTD_LOCAL_EMBED_DIMS", "99999"}}) {
    auto c = LoadConfig(FakeEnv({{name, value}}));
    ASSERT_FALSE(c.ok()) << name << "=" << value;
    EXPECT_EQ(c.status().code(), "BAD_CONFIG");
    EXPECT_NE(c.status().message().find(name), std::string::npos) << c.status().message();
  }
}

TEST(Config, CallbackSecretIsStandardWebhooksWhsecBase64) {
  auto off = LoadConfig(FakeEnv({}));
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->api.callbacks_enabled) << "no secret, no callbacks";
  EXPECT_FALSE(off->callbacks.urls.allow_private);
  // whsec_ + base64 of the 24 bytes "0123456789abcdefghijklmn".
  auto on =
      LoadConfig(FakeEnv({{"INGESTD_CALLBACK_SECRET", "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u"},
                          {"INGESTD_CALLBACK_ALLOW_PRIVATE", "1"},
                          {"INGESTD_CALLBACK_MAX_AGE_MS", "5000"}}));
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->api.callbacks_enabled);
  EXPECT_EQ(on->callbacks.signing_key, "0123456789abcdefghijklmn") << "the decoded bytes";
  EXPECT_TRUE(on->callbacks.urls.allow_private);
  EXPECT_TRUE(on->api.callback_urls.allow_private);
  EXPECT_EQ(on->callbacks.max_age_ms, 5000);
  for (auto [name, value] : {std::pair<std::string, std::string>{
                                 "INGESTD_CALLBACK_SECRET", "MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u"},
                             {"INGESTD_CALLBACK_SECRET", "whsec_c2hvcnQ="},  // 5 bytes
                             {"INGESTD_CALLBACK_SECRET", "whsec_not base64!"},
                             {"INGESTD_CALLBACK_ALLOW_PRIVATE", "yes"},
                             {"INGESTD_CALLBACK_MAX_AGE_MS", "10"}}) {
    auto c = LoadConfig(FakeEnv({{name, value}}));
    ASSERT_FALSE(c.ok()) << name << "=" << value;
    EXPECT_NE(c.status().message().find(name), std::string::npos) << c.status().message();
  }
}

TEST(Config, PdfSandboxIsOnUnlessExplicitlyOff) {
  auto unset = LoadConfig(FakeEnv({}));
  ASSERT_TRUE(unset.ok());
  EXPECT_TRUE(unset->pdf_sandbox);
  auto on = LoadConfig(FakeEnv({{"INGESTD_PDF_SANDBOX", "on"}}));
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->pdf_sandbox);
  auto off = LoadConfig(FakeEnv({{"INGESTD_PDF_SANDBOX", "off"}}));
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->pdf_sandbox);
  // Anything else could be a typo for either: refuse to start rather than guess.
  for (const char* value : {"OFF", "0", "false", "no", "of", "on "}) {
    auto bad = LoadConfig(FakeEnv({{"INGESTD_PDF_SANDBOX", value}}));
    ASSERT_FALSE(bad.ok()) << value;
    EXPECT_EQ(bad.status().code(), "BAD_CONFIG");
    EXPECT_EQ(bad.status().message(), "INGESTD_PDF_SANDBOX must be 'on' or 'off'") << value;
  }
}

TEST(Config, PdfSandboxProbesAreAListOfKnownAttempts) {
  auto none = LoadConfig(FakeEnv({}));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->pdf_sandbox_probes.empty());
  auto probes =
      LoadConfig(FakeEnv({{"INGESTD_TEST_PDF_SANDBOX_PROBES", "open,socket,execve,read:/data/x"}}));
  ASSERT_TRUE(probes.ok()) << probes.status().ToString();
  EXPECT_EQ(probes->pdf_sandbox_probes,
            (std::vector<std::string>{"open", "socket", "execve", "read:/data/x"}));
  for (const char* value : {"fork", "open,,socket", "read:", "open,"}) {
    auto bad = LoadConfig(FakeEnv({{"INGESTD_TEST_PDF_SANDBOX_PROBES", value}}));
    ASSERT_FALSE(bad.ok()) << value;
    EXPECT_EQ(bad.status().code(), "BAD_CONFIG");
    EXPECT_NE(bad.status().message().find("INGESTD_TEST_PDF_SANDBOX_PROBES"), std::string::npos);
  }
}

TEST(Config, DrainTimeAndRequestSize) {
  auto defaults = LoadConfig(FakeEnv({}));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->drain_ms, 30000);
  EXPECT_EQ(defaults->openai_request_inputs, 2048u);
  auto set =
      LoadConfig(FakeEnv({{"INGESTD_DRAIN_MS", "0"}, {"OPENAI_EMBED_REQUEST_INPUTS", "16"}}));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->drain_ms, 0);
  EXPECT_EQ(set->openai_request_inputs, 16u);
  for (auto [name, value] : {std::pair<std::string, std::string>{"INGESTD_DRAIN_MS", "-1"},
                             {"OPENAI_EMBED_REQUEST_INPUTS", "0"},
                             {"OPENAI_EMBED_REQUEST_INPUTS", "2049"}}) {
    auto bad = LoadConfig(FakeEnv({{name, value}}));
    ASSERT_FALSE(bad.ok()) << name << "=" << value;
    EXPECT_NE(bad.status().message().find(name), std::string::npos) << bad.status().message();
  }
}

TEST(Config, UploadLimitsAreOffUnlessSet) {
  auto off = LoadConfig(FakeEnv({}));
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->api.upload_limits.rate_limited());
  EXPECT_EQ(off->api.upload_limits.max_active_jobs, 0);
  auto on = LoadConfig(FakeEnv({{"INGESTD_UPLOADS_PER_MINUTE", "10"},
                                {"INGESTD_UPLOADS_PER_DAY", "500"},
                                {"INGESTD_MAX_ACTIVE_JOBS_PER_USER", "3"}}));
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_EQ(on->api.upload_limits.per_minute, 10);
  EXPECT_EQ(on->api.upload_limits.per_day, 500);
  EXPECT_EQ(on->api.upload_limits.max_active_jobs, 3);
  for (const char* name : {"INGESTD_UPLOADS_PER_MINUTE", "INGESTD_UPLOADS_PER_DAY",
                           "INGESTD_MAX_ACTIVE_JOBS_PER_USER"}) {
    auto bad = LoadConfig(FakeEnv({{name, "-1"}}));
    ASSERT_FALSE(bad.ok()) << name;
    EXPECT_NE(bad.status().message().find(name), std::string::npos);
  }
  EXPECT_FALSE(LoadConfig(FakeEnv({{"INGESTD_UPLOADS_PER_MINUTE", "1000001"}})).ok());
}

TEST(Config, SearchIndexAndRateSettings) {
  auto defaults = LoadConfig(FakeEnv({}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->hnsw_min_vectors, 20'000u);
  EXPECT_EQ(defaults->search_catchup_ms, 500);
  EXPECT_EQ(defaults->searches_per_minute, 0);  // no limit
  auto set = LoadConfig(FakeEnv({{"INGESTD_HNSW_MIN_VECTORS", "5"},
                                 {"INGESTD_SEARCH_CATCHUP_MS", "50"},
                                 {"INGESTD_SEARCHES_PER_MINUTE", "30"},
                                 {"INGESTD_HNSW_M", "8"},
                                 {"INGESTD_HNSW_EF_CONSTRUCTION", "64"},
                                 {"INGESTD_HNSW_EF_SEARCH", "32"}}));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->hnsw_min_vectors, 5u);
  EXPECT_EQ(set->search_catchup_ms, 50);
  EXPECT_EQ(set->searches_per_minute, 30);
  EXPECT_EQ(set->hnsw.m, 8);
  EXPECT_EQ(set->hnsw.ef_construction, 64);
  EXPECT_EQ(set->hnsw.ef_search, 32);
  for (const char* name : {"INGESTD_HNSW_MIN_VECTORS", "INGESTD_SEARCH_CATCHUP_MS",
                           "INGESTD_SEARCHES_PER_MINUTE", "INGESTD_HNSW_M",
                           "INGESTD_HNSW_EF_CONSTRUCTION", "INGESTD_HNSW_EF_SEARCH"}) {
    auto bad = LoadConfig(FakeEnv({{name, "-1"}}));
    ASSERT_FALSE(bad.ok()) << name;
    EXPECT_NE(bad.status().message().find(name), std::string::npos);
  }
}

TEST(Config, ParseModeOverridesServiceMode) {
  auto c = LoadConfig(FakeEnv({{"SERVICE_MODE", "mock"}, {"PARSE_MODE", "local"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->parse_mode, "local");
  EXPECT_EQ(c->embed_mode, "mock");
  EXPECT_EQ(c->api.service_mode, "parse=local,embed=mock");
}

// The embedded default is real and free: the MuPDF parser and the hashing embedder, no keys.
TEST(Config, TheDefaultIsLocalForBothServicesAndNeedsNoKeys) {
  auto c = LoadConfig(FakeEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->parse_mode, "local");
  EXPECT_EQ(c->embed_mode, "local");
  EXPECT_EQ(c->api.service_mode, "local");
  EXPECT_EQ(c->local_embed_dims, 1024);
  EXPECT_TRUE(CheckServiceKeys(*c).ok());
  auto dims = LoadConfig(FakeEnv({{"EMBED_MODE", "local"}, {"INGESTD_LOCAL_EMBED_DIMS", "256"}}));
  ASSERT_TRUE(dims.ok()) << dims.status().ToString();
  EXPECT_EQ(dims->local_embed_dims, 256);
}

TEST(Secrets, GeneratedOnceAndReused) {
  auto dir =
      std::filesystem::temp_directory_path() / ("ingestd-secrets-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto env = FakeEnv({{"INGESTD_DATA_DIR", dir.string()}});
  auto a = LoadConfig(env), b = LoadConfig(env);
  ASSERT_TRUE(ResolveSecrets(env, &a.value()).ok());
  ASSERT_TRUE(ResolveSecrets(env, &b.value()).ok());
  EXPECT_GE(a->api.jwt_secret.size(), 32u);
  EXPECT_EQ(a->api.jwt_secret, b->api.jwt_secret);
  EXPECT_NE(a->api.jwt_secret, a->api.upload_secret);
  auto perms = std::filesystem::status(dir / "secrets" / "jwt_secret").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto env_set = FakeEnv({{"INGESTD_DATA_DIR", dir.string()}, {"INGESTD_JWT_SECRET", "given"}});
  auto c = LoadConfig(env_set);
  ASSERT_TRUE(ResolveSecrets(env_set, &c.value()).ok());
  EXPECT_EQ(c->api.jwt_secret, "given");
  std::filesystem::remove_all(dir);
}

TEST(Config, ReadsBudgetLimitsUnsetMeansNoLimit) {
  auto c = LoadConfig(FakeEnv({{"INGESTD_BUDGET_DAILY_USD", "25"},
                               {"INGESTD_BUDGET_EMBED_HOURLY_USD", "0.5"},
                               {"INGESTD_BUDGET_EMBED_HOURLY_REQUESTS", "120"},
                               {"INGESTD_BUDGET_PARSE_DAILY_USD", "10.25"},
                               {"INGESTD_BUDGET_USER_DAILY_USD", "1"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ledger.daily_usd, 25.0);
  EXPECT_EQ(c->ledger.embed.hourly_usd, 0.5);
  EXPECT_EQ(c->ledger.embed.hourly_requests, 120);
  EXPECT_FALSE(c->ledger.embed.daily_usd.has_value());
  EXPECT_EQ(c->ledger.parse.daily_usd, 10.25);
  EXPECT_FALSE(c->ledger.parse.hourly_requests.has_value());
  EXPECT_EQ(c->ledger.user_daily_usd, 1.0);
  for (auto [name, value] : {std::pair<std::string, std::string>{"INGESTD_BUDGET_DAILY_USD", "-1"},
                             {"INGESTD_BUDGET_PARSE_HOURLY_USD", "1$"},
                             {"INGESTD_BUDGET_EMBED_HOURLY_REQUESTS", "1.5"}}) {
    auto bad = LoadConfig(FakeEnv({{name, value}}));
    ASSERT_FALSE(bad.ok()) << name;
    EXPECT_NE(bad.status().message().find(name), std::string::npos);
  }
}

// One price table: the tier's credits a page and the model's price per 1M tokens; a tier or
// model the table does not know refuses to start unless the operator prices it.
TEST(Config, PricesComeFromTheOneTableForTheConfiguredTierAndModel) {
  const std::pair<const char*, int64_t> tiers[] = {{"fast", 1'250'000},
                                                   {"cost_effective", 3'750'000},
                                                   {"agentic", 12'500'000},
                                                   {"agentic_plus", 56'250'000}};
  for (const auto& [tier, nanos_per_page] : tiers) {
    auto c = LoadConfig(FakeEnv({{"LLAMAPARSE_TIER", tier}}));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->ledger.prices.ParseCost(1), nanos_per_page) << tier;
  }
  auto ada = LoadConfig(FakeEnv({{"OPENAI_EMBED_MODEL", "text-embedding-ada-002"}}));
  ASSERT_TRUE(ada.ok());
  EXPECT_EQ(ada->ledger.prices.EmbedCost("text-embedding-ada-002", 1'000'000), 100'000'000);

  auto tier = LoadConfig(FakeEnv({{"LLAMAPARSE_TIER", "premium"}}));
  ASSERT_FALSE(tier.ok());
  EXPECT_EQ(tier.status().code(), "BAD_CONFIG");
  EXPECT_NE(tier.status().message().find("INGESTD_PRICE_PARSE_CREDITS_PER_PAGE"),
            std::string::npos);
  auto model = LoadConfig(FakeEnv({{"OPENAI_EMBED_MODEL", "my-model"}}));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), "BAD_CONFIG");
  EXPECT_NE(model.status().message().find("INGESTD_PRICE_EMBED_USD_PER_MTOK"), std::string::npos);

  auto priced = LoadConfig(FakeEnv({{"LLAMAPARSE_TIER", "premium"},
                                    {"INGESTD_PRICE_PARSE_CREDITS_PER_PAGE", "20"},
                                    {"OPENAI_EMBED_MODEL", "my-model"},
                                    {"INGESTD_PRICE_EMBED_USD_PER_MTOK", "0.05"}}));
  ASSERT_TRUE(priced.ok()) << priced.status().ToString();
  EXPECT_EQ(priced->ledger.prices.ParseCost(2), 2 * 25'000'000);
  EXPECT_EQ(priced->ledger.prices.EmbedCost("my-model", 1'000'000), 50'000'000);
  for (const char* bad : {"0", "-1", "x"}) {
    EXPECT_EQ(LoadConfig(FakeEnv({{"INGESTD_PRICE_EMBED_USD_PER_MTOK", bad}})).status().code(),
              "BAD_CONFIG")
        << bad;
  }
  EXPECT_EQ(
      LoadConfig(FakeEnv({{"INGESTD_PRICE_EMBED_USD_PER_MTOK", "0.0000000001"}})).status().code(),
      "BAD_CONFIG");  // rounds to $0
}

// ada-002 refuses `dimensions` on every request: refused at start-up instead.
TEST(Config, AdaTakesNoDimensions) {
  auto ada_dims = LoadConfig(FakeEnv(
      {{"OPENAI_EMBED_MODEL", "text-embedding-ada-002"}, {"OPENAI_EMBED_DIMENSIONS", "512"}}));
  ASSERT_FALSE(ada_dims.ok());
  EXPECT_EQ(ada_dims.status().code(), "BAD_CONFIG");
  EXPECT_NE(ada_dims.status().message().find("OPENAI_EMBED_DIMENSIONS"), std::string::npos);
  EXPECT_TRUE(LoadConfig(FakeEnv({{"OPENAI_EMBED_DIMENSIONS", "512"}})).ok());  // 3-small
}

TEST(Config, ReservationTimeout) {
  auto c = LoadConfig(FakeEnv({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ledger.reservation_timeout_ms, 15 * 60'000);
  c = LoadConfig(FakeEnv({{"INGESTD_RESERVATION_TIMEOUT_MS", "2000"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ledger.reservation_timeout_ms, 2000);
  EXPECT_FALSE(LoadConfig(FakeEnv({{"INGESTD_RESERVATION_TIMEOUT_MS", "10"}})).ok());
}

TEST(Config, BudgetPriorityReserve) {
  auto c = LoadConfig(FakeEnv({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ledger.priority_reserve_pct, 0);
  EXPECT_EQ(c->ledger.priority_min, 1);
  c = LoadConfig(FakeEnv(
      {{"INGESTD_BUDGET_PRIORITY_RESERVE_PCT", "20"}, {"INGESTD_BUDGET_PRIORITY_MIN", "-5"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ledger.priority_reserve_pct, 20);
  EXPECT_EQ(c->ledger.priority_min, -5);
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"INGESTD_BUDGET_PRIORITY_RESERVE_PCT", "101"},
           {"INGESTD_BUDGET_PRIORITY_RESERVE_PCT", "-1"},
           {"INGESTD_BUDGET_PRIORITY_RESERVE_PCT", "12.5"},
           {"INGESTD_BUDGET_PRIORITY_MIN", "101"},
           {"INGESTD_BUDGET_PRIORITY_MIN", "-101"},
           {"INGESTD_BUDGET_PRIORITY_MIN", "high"}}) {
    auto bad = LoadConfig(FakeEnv({{name, value}}));
    ASSERT_FALSE(bad.ok()) << name << "=" << value;
    EXPECT_EQ(bad.status().code(), "BAD_CONFIG");
    EXPECT_NE(bad.status().message().find(name), std::string::npos);
  }
}

TEST(Config, HybridEmbeddingNeedsTheApiKey) {
  auto loaded = LoadConfig(FakeEnv({{"EMBED_MODE", "hybrid"}}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();  // serve starts without keys
  Status missing = CheckServiceKeys(*loaded);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("OPENAI_API_KEY"), std::string::npos);
  auto c = LoadConfig(FakeEnv(
      {{"SERVICE_MODE", "hybrid"}, {"PARSE_MODE", "local"}, {"OPENAI_API_KEY", "sk-test"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->embed_mode, "hybrid");
  EXPECT_EQ(c->parse_mode, "local");
}

}  // namespace
}  // namespace ingestd::cli

namespace ingestd::cli {
namespace {

TEST(Config, ProviderKeySourcesSatisfyRealModes) {
  auto c = LoadConfig(FakeEnv({{"EMBED_MODE", "real"},
                               {"OPENAI_API_KEYS", "a:sk-1,b:sk-2"},
                               {"PARSE_MODE", "real"},
                               {"LLAMAPARSE_API_KEYS_FILE", "/etc/ingestd/llamaparse.keys"},
                               {"INGESTD_KEYS_POLL_MS", "0"},
                               {"INGESTD_AUDIT_RETENTION_DAYS", "7"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->openai_api_keys, "a:sk-1,b:sk-2");
  EXPECT_EQ(c->llamaparse_api_keys_file, "/etc/ingestd/llamaparse.keys");
  EXPECT_EQ(c->keys_poll_ms, 0);
  EXPECT_EQ(c->audit_retention_days, 7);
  EXPECT_EQ(LoadConfig(FakeEnv({}))->audit_retention_days, 30);

  EXPECT_TRUE(CheckServiceKeys(*c).ok());
  Status none = CheckServiceKeys(*LoadConfig(FakeEnv({{"EMBED_MODE", "real"}})));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("OPENAI_API_KEYS_FILE"), std::string::npos);
  Status parse = CheckServiceKeys(*LoadConfig(FakeEnv({{"PARSE_MODE", "hybrid"}})));
  EXPECT_NE(parse.message().find("LLAMAPARSE_API_KEYS_FILE"), std::string::npos);
  EXPECT_FALSE(LoadConfig(FakeEnv({{"INGESTD_AUDIT_RETENTION_DAYS", "-1"}})).ok());
}

}  // namespace
}  // namespace ingestd::cli
