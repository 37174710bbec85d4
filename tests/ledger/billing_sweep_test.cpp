// Billing sweep, in process: each paid call site (OpenAI embeddings, LlamaParse upload and
// result) through the router and a SQLite ledger over the real clients, against the fakes,
// failed at each step — before sending (nothing listens yet), a connection dropped after the
// provider billed, a 5xx, a timeout after the provider billed, and a failure of a later
// request of a multi-request embed — then retried as a stage would until it succeeds. After
// each: the ledger's settled cost equals what the fake billed, nothing stays reserved, and
// no window ends above its limit unless a cost_overrun records why. (The crash between the
// answer and the settle needs a process to kill: tests/ledger/billing_crash_test.cpp.)
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "ledger/sqlite_ledger.h"
#include "services/http/retry_env.h"
#include "services/llamaparse_parser.h"
#include "services/mock_embedder.h"
#include "services/mock_parser.h"
#include "services/openai_embedder.h"
#include "services/router/service_router.h"
#include "tests/fakes/fake_llamaparse_server.h"
#include "tests/fakes/fake_openai_server.h"
#include "text/tokenizer.h"

namespace ingestd {
namespace {

using fakes::EmbedFault;
using fakes::FakeLlamaParseServer;
using fakes::FakeOpenAiServer;
using fakes::UploadFault;

constexpr char kOpenAiKey[] = "sk-fake-0123456789abcdef";
constexpr char kLlamaKey[] = "llx-fake-0123456789abcdef";
constexpr char kModel[] = "text-embedding-3-small";

// A loopback port nothing listens on (yet).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class MemoryRecorder final : public ProviderJobRecorder {
 public:
  Result<std::optional<std::string>> Find(const CallContext& ctx) override {
    auto it = ids.find(ctx.job_id);
    if (it == ids.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status Record(const CallContext& ctx, const std::string& id) override {
    ids[ctx.job_id] = id;
    return Status();
  }
  Status Close(const CallContext& ctx, const std::string&) override {
    ids.erase(ctx.job_id);
    return Status();
  }
  std::map<std::string, std::string> ids;
};

class BillingSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("billing_sweep_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    pdf_ = (dir_ / "doc.pdf").string();
    // Three pages, as the fake parses every document (FakeLlamaParseServer::kPages).
    std::ofstream(pdf_) << "%PDF-1.4\n<< /Type /Page >>\n<< /Type /Page >>\n<< /Type /Page >>\n"
                           "%%EOF\n";
    LedgerOptions o;
    o.daily_usd = 1;  // limits that every call fits, to check no window ends above them
    o.embed.hourly_requests = 1000;
    o.parse.hourly_requests = 1000;
    auto ledger = SqliteLedger::Open((dir_ / "ledger.db").string(), &clock_, o,
                                     [this](const LedgerAlert& a) { alerts_.push_back(a); });
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(*ledger);
  }
  void TearDown() override {
    router_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The router over the real clients pointed at openai_url / llamaparse_url.
  void Build(const std::string& openai_url, const std::string& llamaparse_url) {
    OpenAiEmbedderConfig oc;
    oc.api_key = kOpenAiKey;
    oc.base_url = openai_url;
    oc.limits.max_inputs = 2;  // six texts: three requests
    oc.max_in_flight = 1;      // one at a time: the faults hit them in order
    oc.timeouts.total_ms = 400;
    auto embedder = OpenAiEmbedder::Create(oc, {.env = &env_, .clock = &clock_});
    ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
    LlamaParseConfig lc;
    lc.api_key = kLlamaKey;
    lc.base_url = llamaparse_url;
    lc.timeouts.total_ms = 400;
    auto parser =
        LlamaParseParser::Create(lc, {.recorder = &recorder_, .env = &env_, .clock = &clock_});
    ASSERT_TRUE(parser.ok()) << parser.status().ToString();
    ServiceImpls impls;
    impls.embedders["real"] = std::move(embedder.value());
    impls.embedders["mock"] = std::make_unique<MockEmbedder>();
    impls.parsers["real"] = std::move(parser.value());
    impls.parsers["mock"] = std::make_unique<MockParser>();
    RouterOptions ro;
    ro.embed_mode = ServiceMode::kReal;
    ro.parse_mode = ServiceMode::kReal;
    ro.breaker = {1'000, 1'000, 50};
    ro.count_tokens = [](const std::vector<std::string>& texts) {
      int64_t n = 0;
      for (const auto& t : texts) n += static_cast<int64_t>(Tokenizer::Cl100kBase().Count(t));
      return n;
    };
    auto router = ServiceRouter::Create(std::move(ro), std::move(impls), &clock_, ledger_.get());
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    router_ = std::move(*router);
  }

  // Embeds the six texts, again while the failure is retryable (as the worker retries the
  // stage); returns the failures seen.
  std::vector<std::string> EmbedUntilDone() {
    std::vector<std::string> failures;
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto out = router_->embedder()->Embed(texts_, {"corr", "job-e", "user"});
      if (out.ok()) {
        EXPECT_EQ(out->vectors.size(), texts_.size());
        return failures;
      }
      failures.push_back(out.status().code());
      if (!out.status().retryable()) break;
    }
    return failures;
  }
  std::vector<std::string> ParseUntilDone() {
    std::vector<std::string> failures;
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto out = router_->parser()->Parse({pdf_, 64, "doc"}, {"corr", "job-p", "user"});
      if (out.ok()) {
        EXPECT_EQ(out->page_count, FakeLlamaParseServer::kPages);
        return failures;
      }
      failures.push_back(out.status().code());
      if (!out.status().retryable()) break;
    }
    return failures;
  }

  int64_t Settled(const std::string& service) {
    auto costs = ledger_->Costs({0, clock_.NowMillis() + 1, "service", "", ""});
    EXPECT_TRUE(costs.ok());
    EXPECT_EQ(costs->open_reservations, 0) << "a reservation was left open";
    for (const CostRow& r : costs->rows) {
      if (r.group == service) return r.cost_nanos;
    }
    return 0;
  }
  // No window above its limit unless a cost_overrun alert records why.
  void ExpectNoUnexplainedOverrun() {
    auto windows = ledger_->CurrentWindows();
    ASSERT_TRUE(windows.ok());
    for (const WindowState& w : *windows) {
      if (w.spent <= w.limit) continue;
      const bool explained = std::any_of(alerts_.begin(), alerts_.end(), [&](const LedgerAlert& a) {
        return a.kind == "cost_overrun" && a.scope == w.scope && a.metric == w.metric;
      });
      EXPECT_TRUE(explained) << w.scope << " " << w.metric << " over its limit";
    }
  }
  void ExpectUploadLostCounted(UploadFault lost) {
    FakeOpenAiServer openai;
    FakeLlamaParseServer fake({.complete_after_ms = 0});
    fake.PushUploadFault(lost);
    Build(openai.base_url(), fake.base_url());
    EXPECT_TRUE(ParseUntilDone().empty());
    EXPECT_EQ(fake.uploads_accepted(), 2);
    EXPECT_EQ(fake.billed_pages(), FakeLlamaParseServer::kPages);  // the second: a cache hit
    EXPECT_EQ(Settled("parse"), Billed(fake));
    ExpectNoUnexplainedOverrun();
  }
  void ExpectResultFaultBillsOnce(UploadFault f) {
    FakeOpenAiServer openai;
    FakeLlamaParseServer fake({.complete_after_ms = 0});
    fake.PushResultFault(f);
    Build(openai.base_url(), fake.base_url());
    EXPECT_TRUE(ParseUntilDone().empty());
    EXPECT_EQ(fake.uploads_accepted(), 1);
    EXPECT_EQ(fake.billed_pages(), FakeLlamaParseServer::kPages);
    EXPECT_EQ(Settled("parse"), Billed(fake));
    ExpectNoUnexplainedOverrun();
  }
  int64_t Billed(const FakeOpenAiServer& fake) {
    return prices_.EmbedCost(kModel, fake.billed_tokens());
  }
  int64_t Billed(const FakeLlamaParseServer& fake) {
    return prices_.ParseCost(fake.billed_pages());
  }

  std::filesystem::path dir_;
  std::string pdf_;
  FakeClock clock_;
  http::FakeRetryEnv env_;
  MemoryRecorder recorder_;
  PriceTable prices_;
  std::vector<LedgerAlert> alerts_;
  std::unique_ptr<SqliteLedger> ledger_;
  std::unique_ptr<ServiceRouter> router_;
  const std::vector<std::string> texts_{"alpha beta", "gamma delta epsilon",  "zeta",
                                        "eta theta",  "iota kappa lambda mu", "nu xi"};
};

// ---- OpenAI embeddings ----

TEST_F(BillingSweepTest, EmbedFailingBeforeSendingIsReleased) {
  const int port = FreePort();
  FakeLlamaParseServer llamaparse;
  Build("http://127.0.0.1:" + std::to_string(port), llamaparse.base_url());
  auto refused = router_->embedder()->Embed(texts_, {"corr", "job-e", "user"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), "UPSTREAM_UNREACHABLE");
  EXPECT_EQ(Settled("embed"), 0);
  FakeOpenAiServer fake({.port = port});  // the provider is back
  EXPECT_TRUE(EmbedUntilDone().empty());
  EXPECT_GT(fake.billed_tokens(), 0);
  EXPECT_EQ(Settled("embed"), Billed(fake));
  ExpectNoUnexplainedOverrun();
}

TEST_F(BillingSweepTest, EmbedConnectionDroppedAfterBillingIsCounted) {
  FakeOpenAiServer fake;
  FakeLlamaParseServer llamaparse;
  for (EmbedFault f : {EmbedFault::kNone, EmbedFault::kTruncatedBody}) fake.PushFault(f);
  Build(fake.base_url(), llamaparse.base_url());
  EXPECT_TRUE(EmbedUntilDone().empty());
  EXPECT_EQ(fake.requests().size(), 4u);  // the cut one went twice, and was billed twice
  EXPECT_EQ(Settled("embed"), Billed(fake));
  ExpectNoUnexplainedOverrun();
}

TEST_F(BillingSweepTest, Embed5xxIsNotBilled) {
  FakeOpenAiServer fake;
  FakeLlamaParseServer llamaparse;
  for (EmbedFault f : {EmbedFault::kNone, EmbedFault::kServerError, EmbedFault::kUnavailable})
    fake.PushFault(f);
  Build(fake.base_url(), llamaparse.base_url());
  EXPECT_TRUE(EmbedUntilDone().empty());
  EXPECT_EQ(fake.requests().size(), 5u);
  EXPECT_EQ(Settled("embed"), Billed(fake));
  ExpectNoUnexplainedOverrun();
}

TEST_F(BillingSweepTest, EmbedTimeoutAfterBillingIsCounted) {
  FakeOpenAiServer fake({.hang_ms = 1'200});
  FakeLlamaParseServer llamaparse;
  for (EmbedFault f : {EmbedFault::kSlowAnswer}) fake.PushFault(f);
  Build(fake.base_url(), llamaparse.base_url());
  EXPECT_TRUE(EmbedUntilDone().empty());
  EXPECT_EQ(fake.requests().size(), 4u);  // the slow one went twice, and was billed twice
  EXPECT_EQ(Settled("embed"), Billed(fake));
  ExpectNoUnexplainedOverrun();
}

// Requests 1 and 2 answered (billed), request 3 refused for good: the call fails, and what
// was billed is settled while the rest of the reservation is released.
TEST_F(BillingSweepTest, EmbedFailingAfterSomeRequestsWereBilledSettlesWhatWasBilled) {
  FakeOpenAiServer fake;
  FakeLlamaParseServer llamaparse;
  for (EmbedFault f : {EmbedFault::kNone, EmbedFault::kNone, EmbedFault::kQuota}) fake.PushFault(f);
  Build(fake.base_url(), llamaparse.base_url());
  EXPECT_EQ(EmbedUntilDone(), std::vector<std::string>{"UPSTREAM_QUOTA"});
  ASSERT_GT(fake.billed_tokens(), 0);
  EXPECT_EQ(Settled("embed"), Billed(fake));
  ExpectNoUnexplainedOverrun();
}

// ---- LlamaParse upload and result ----

TEST_F(BillingSweepTest, ParseFailingBeforeSendingIsReleased) {
  const int port = FreePort();
  FakeOpenAiServer openai;
  Build(openai.base_url(), "http://127.0.0.1:" + std::to_string(port));
  auto refused = router_->parser()->Parse({pdf_, 64, "doc"}, {"corr", "job-p", "user"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), "UPSTREAM_UNREACHABLE");
  EXPECT_EQ(Settled("parse"), 0);
  FakeLlamaParseServer fake({.complete_after_ms = 0, .port = port});
  EXPECT_TRUE(ParseUntilDone().empty());
  EXPECT_EQ(fake.billed_pages(), FakeLlamaParseServer::kPages);
  EXPECT_EQ(Settled("parse"), Billed(fake));
  ExpectNoUnexplainedOverrun();
}

// The job was created (and runs, and is billed), its id lost with the answer: the client
// uploads again (a free cache hit) and counts the lost job at the document's pages.
TEST_F(BillingSweepTest, ParseUploadDroppedAfterTheJobStartedIsCounted) {
  ExpectUploadLostCounted(UploadFault::kCutAnswer);
}

TEST_F(BillingSweepTest, ParseUploadTimeoutAfterTheJobStartedIsCounted) {
  ExpectUploadLostCounted(UploadFault::kSlowAnswer);
}

TEST_F(BillingSweepTest, ParseUpload5xxIsNotBilled) {
  FakeOpenAiServer openai;
  FakeLlamaParseServer fake({.complete_after_ms = 0});
  fake.PushUploadFault(UploadFault::kServerError);
  Build(openai.base_url(), fake.base_url());
  EXPECT_TRUE(ParseUntilDone().empty());
  EXPECT_EQ(fake.uploads_accepted(), 1);
  EXPECT_EQ(Settled("parse"), Billed(fake));
  ExpectNoUnexplainedOverrun();
}

// A result fetch is free: losing its answer (cut, 5xx, timeout) costs nothing more.
TEST_F(BillingSweepTest, ParseResultDroppedBillsTheJobOnce) {
  ExpectResultFaultBillsOnce(UploadFault::kCutAnswer);
}

TEST_F(BillingSweepTest, ParseResult5xxBillsTheJobOnce) {
  ExpectResultFaultBillsOnce(UploadFault::kServerError);
}

TEST_F(BillingSweepTest, ParseResultTimeoutBillsTheJobOnce) {
  ExpectResultFaultBillsOnce(UploadFault::kSlowAnswer);
}

}  // namespace
}  // namespace ingestd
