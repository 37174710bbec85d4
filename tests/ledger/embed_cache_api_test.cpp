// The embedding cache through `ingestd serve` (issue 16 §1), over sockets, with the fake
// LlamaParse (PARSE_MODE=real) answering the markdown the local parser makes of an R manual
// (r-doc-pdf) — or that markdown with one paragraph edited — and the fake OpenAI
// (EMBED_MODE=real) billing what it is sent:
// - an edited manual re-uploaded (a different document) is billed only its changed chunks'
//   tokens, the ledger charges only those, and every chunk has its vector; the job view's
//   embed counts and GET /api/v1/costs' savings say so;
// - scopes: user (another user's identical text is paid again), global (it is not), off;
// - eviction: INGESTD_EMBED_CACHE_MAX_VECTORS bounds the entries, never the vectors;
// - a kill between a paid answer and its settle: after the restart no cached chunk is sent,
//   the hits are counted once and every chunk has its vector.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "core/crypto.h"
#include "harness/db_inspector.h"
#include "harness/manual_edits.h"
#include "harness/test_support.h"
#include "tests/fakes/fake_provider_env.h"

namespace ingestd::itest {
namespace {

// text-embedding-3-small: $0.02 per 1M tokens (README "Budgets and service modes").
constexpr int64_t kEmbedNanosPerToken = 20;

struct ManualChunks {
  std::vector<std::string> texts;
  std::vector<int64_t> tokens;
  std::vector<std::string> headings;
};

class EmbedCacheApiTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    auto env = fakes::FakeProvidersEnv(openai_, llamaparse_);
    env["PARSE_MODE"] = "real";
    env["EMBED_MODE"] = "real";
    env["INGESTD_BUDGET_DAILY_USD"] = "10";  // two manuals' parse estimates fit
    return env;
  }

  // The local parser's markdown of pdf, parsed once per test binary.
  static const std::string& Markdown(const std::string& pdf) {
    static std::map<std::string, std::string> parsed;
    auto it = parsed.find(pdf);
    if (it == parsed.end())
      it = parsed.emplace(pdf, ParseLocally(ServerProcess::BinaryPath(), pdf)).first;
    return it->second;
  }

  // Uploads a copy of pdf (unique bytes per tag) that the fake LlamaParse parses to
  // markdown; returns the job id.
  std::string UploadAs(const std::string& token, const std::string& tag,
                       const std::string& markdown, const std::string& pdf = kRFaqPdf) {
    const std::string bytes = TaggedPdf(pdf, tag);
    llamaparse_.SetMarkdown(Sha256Hex(bytes), markdown);
    HttpResponse up = UploadOneShot(*client_, token, "manual.pdf", bytes);
    EXPECT_EQ(up.status, 202) << up.Describe();
    return up.Json().value("job_id", "");
  }
  // UploadAs, then waits until the job completes; returns its view.
  json Ingest(const std::string& token, const std::string& tag, const std::string& markdown,
              const std::string& pdf = kRFaqPdf) {
    const std::string job_id = UploadAs(token, tag, markdown, pdf);
    WaitResult done = WaitForJob(*client_, token, job_id, IsComplete, 240'000);
    EXPECT_TRUE(done.met) << done.view.dump();
    return done.view;
  }

  ManualChunks ChunksOf(const json& view) {
    DbInspector db(server_->db_path());
    ManualChunks out;
    for (const auto& row :
         db.Query("SELECT text, token_count, heading_path FROM chunks WHERE document_id = ?1"
                  " ORDER BY ord",
                  {view.value("document_id", "")})) {
      out.texts.push_back(row[0]);
      out.tokens.push_back(std::stoll(row[1]));
      out.headings.push_back(row[2]);
    }
    return out;
  }
  int64_t Vectors(const json& view) {
    return DbInspector(server_->db_path())
        .Count("vectors", "document_id = ?1", {view.value("document_id", "")});
  }
  int64_t SettledEmbedNanos() {
    return DbInspector(server_->db_path())
        .Scalar("SELECT coalesce(sum(cost_nanos), 0) FROM ledger_spend WHERE service = 'embed'")
        .value_or(-1);
  }
  // The texts of every billed embeddings request since request number `from`.
  std::vector<std::string> BilledInputs(size_t from = 0) {
    std::vector<std::string> out;
    const auto sent = openai_.requests();
    for (size_t i = from; i < sent.size(); ++i) {
      if (!sent[i].billed) continue;
      const json& input = sent[i].body["input"];
      if (!input.is_array()) {
        out.push_back(input.get<std::string>());
        continue;
      }
      for (const auto& one : input) out.push_back(one.get<std::string>());
    }
    return out;
  }
  // Waits until every reservation is closed (settled, or lapsed after a crash).
  json CostsOnceSettled(const std::string& token) {
    json costs;
    for (int i = 0; i < 400; ++i) {
      costs = client_->Get("/api/v1/costs", token).Json();
      if (costs.value("open_reservations", -1) == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    EXPECT_EQ(costs["open_reservations"], 0) << costs.dump();
    return costs;
  }

  fakes::FakeOpenAiServer openai_;
  fakes::FakeLlamaParseServer llamaparse_{{.complete_after_ms = 0}};
};

// Which chunks of `after` have a text `before` lacks, and their tokens; the others' tokens.
struct ChunkDiff {
  std::vector<std::string> changed;
  std::set<std::string> changed_sections;  // heading paths of the changed chunks
  int64_t changed_tokens = 0;
  int64_t same_tokens = 0;
};
ChunkDiff CompareChunks(const ManualChunks& before, const ManualChunks& after) {
  const std::set<std::string> old(before.texts.begin(), before.texts.end());
  ChunkDiff d;
  for (size_t i = 0; i < after.texts.size(); ++i) {
    if (old.contains(after.texts[i])) {
      d.same_tokens += after.tokens[i];
    } else {
      d.changed.push_back(after.texts[i]);
      d.changed_sections.insert(after.headings[i]);
      d.changed_tokens += after.tokens[i];
    }
  }
  return d;
}

// EmbedCacheApiTest with one more variable in the server's environment.
template <const char* kVariable, const char* kValue>
class EmbedCacheApiTestWith : public EmbedCacheApiTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    auto env = EmbedCacheApiTest::ServerEnv();
    env[kVariable] = kValue;
    return env;
  }
};
constexpr char kScope[] = "INGESTD_EMBED_CACHE";
constexpr char kGlobal[] = "global";
constexpr char kOff[] = "off";
constexpr char kMaxVectors[] = "INGESTD_EMBED_CACHE_MAX_VECTORS";
constexpr int kMaxEntries = 10;
constexpr char kMaxEntriesText[] = "10";
using GlobalEmbedCacheApiTest = EmbedCacheApiTestWith<kScope, kGlobal>;
using OffEmbedCacheApiTest = EmbedCacheApiTestWith<kScope, kOff>;
using EvictingEmbedCacheApiTest = EmbedCacheApiTestWith<kMaxVectors, kMaxEntriesText>;

int64_t SumTokens(const std::vector<int64_t>& v) {
  int64_t s = 0;
  for (int64_t x : v) s += x;
  return s;
}

TEST_F(EmbedCacheApiTest, AnEditedManualIsBilledOnlyItsChangedChunks) {
  const std::string& md = Markdown(kRIntroPdf);
  if (md.empty()) GTEST_SKIP() << "r-doc-pdf not installed or not parsed";
  const std::string edited = EditParagraph(md, 0, " This sentence was added by an edit.");
  ASSERT_NE(edited, md);

  const json first = Ingest(token_, "original", md, kRIntroPdf);
  const ManualChunks before = ChunksOf(first);
  ASSERT_GT(before.texts.size(), 50u);
  EXPECT_EQ(openai_.billed_tokens(), SumTokens(before.tokens))
      << "the first upload pays every chunk";
  const int64_t billed_first = openai_.billed_tokens();
  const int64_t charged_first = SettledEmbedNanos();
  EXPECT_EQ(charged_first, billed_first * kEmbedNanosPerToken);
  const size_t requests_first = openai_.requests().size();

  const json second = Ingest(token_, "edited", edited, kRIntroPdf);
  const ManualChunks after = ChunksOf(second);
  const ChunkDiff diff = CompareChunks(before, after);
  ASSERT_FALSE(diff.changed.empty());
  EXPECT_EQ(diff.changed_sections.size(), 1u) << "the edit moved boundaries beyond its section";
  EXPECT_EQ(BilledInputs(requests_first), diff.changed) << "only the changed chunks were sent";
  EXPECT_EQ(openai_.billed_tokens() - billed_first, diff.changed_tokens);
  EXPECT_EQ(SettledEmbedNanos() - charged_first, diff.changed_tokens * kEmbedNanosPerToken)
      << "the ledger charged only the changed chunks";
  EXPECT_EQ(Vectors(second), static_cast<int64_t>(after.texts.size())) << "a chunk lacks a vector";

  // The job view: what was paid and what the cache saved.
  const json view = client_->Get("/api/v1/jobs/" + second.value("job_id", ""), token_).Json();
  ASSERT_TRUE(view.contains("embed")) << view.dump();
  const json& embed = view["embed"];
  EXPECT_EQ(embed["chunks"], after.texts.size());
  EXPECT_EQ(embed["chunks_cached"], after.texts.size() - diff.changed.size());
  EXPECT_EQ(embed["tokens_paid"], diff.changed_tokens);
  EXPECT_EQ(embed["tokens_cached"], diff.same_tokens);
  EXPECT_EQ(embed["saved_nanos"], diff.same_tokens * kEmbedNanosPerToken);
  const json first_view = client_->Get("/api/v1/jobs/" + first.value("job_id", ""), token_).Json();
  EXPECT_EQ(first_view["embed"]["chunks_cached"], 0);
  EXPECT_EQ(first_view["embed"]["tokens_paid"], billed_first);

  const json costs = CostsOnceSettled(token_);
  ASSERT_TRUE(costs.contains("embed_cache")) << costs.dump();
  EXPECT_EQ(costs["embed_cache"]["chunks_cached"], after.texts.size() - diff.changed.size());
  EXPECT_EQ(costs["embed_cache"]["tokens_cached"], diff.same_tokens);
  EXPECT_DOUBLE_EQ(costs["embed_cache"]["saved_usd"].get<double>(),
                   static_cast<double>(diff.same_tokens * kEmbedNanosPerToken) / 1e9);
}

TEST_F(EmbedCacheApiTest, UserScopeBillsAnotherUserForTheSameText) {
  const std::string& md = Markdown(kRFaqPdf);
  if (md.empty()) GTEST_SKIP() << "r-doc-pdf not installed or not parsed";
  const json alice = Ingest(token_, "alice", md);
  const int64_t all = openai_.billed_tokens();
  ASSERT_GT(all, 0);
  const json bob = Ingest(MakeToken("bob"), "bob", md);
  EXPECT_EQ(openai_.billed_tokens(), 2 * all) << "bob's copy reused alice's vectors";
  EXPECT_EQ(client_->Get("/api/v1/jobs/" + bob.value("job_id", ""), MakeToken("bob"))
                .Json()["embed"]["chunks_cached"],
            0);
  // Alice's own second copy is free.
  const json again = Ingest(token_, "alice-again", md);
  EXPECT_EQ(openai_.billed_tokens(), 2 * all);
  EXPECT_EQ(Vectors(again), static_cast<int64_t>(ChunksOf(again).texts.size()));
}

TEST_F(GlobalEmbedCacheApiTest, AnotherUsersIdenticalTextIsNotBilledAgain) {
  const std::string& md = Markdown(kRFaqPdf);
  if (md.empty()) GTEST_SKIP() << "r-doc-pdf not installed or not parsed";
  Ingest(token_, "alice", md);
  const int64_t all = openai_.billed_tokens();
  const std::string bob_token = MakeToken("bob");
  const json bob = Ingest(bob_token, "bob", md);
  EXPECT_EQ(openai_.billed_tokens(), all);
  const ManualChunks chunks = ChunksOf(bob);
  const json view = client_->Get("/api/v1/jobs/" + bob.value("job_id", ""), bob_token).Json();
  EXPECT_EQ(view["embed"]["chunks_cached"], chunks.texts.size());
  EXPECT_EQ(view["embed"]["tokens_paid"], 0);
  EXPECT_EQ(Vectors(bob), static_cast<int64_t>(chunks.texts.size()));
  // Bob's savings are his; alice's window saved nothing.
  EXPECT_EQ(CostsOnceSettled(bob_token)["embed_cache"]["tokens_cached"], SumTokens(chunks.tokens));
  EXPECT_EQ(CostsOnceSettled(token_)["embed_cache"]["tokens_cached"], 0);
}

TEST_F(OffEmbedCacheApiTest, EveryCopyIsBilled) {
  const std::string& md = Markdown(kRFaqPdf);
  if (md.empty()) GTEST_SKIP() << "r-doc-pdf not installed or not parsed";
  Ingest(token_, "one", md);
  const int64_t all = openai_.billed_tokens();
  const json two = Ingest(token_, "two", md);
  EXPECT_EQ(openai_.billed_tokens(), 2 * all);
  EXPECT_EQ(client_->Get("/api/v1/jobs/" + two.value("job_id", ""), token_)
                .Json()["embed"]["chunks_cached"],
            0);
}

TEST_F(EvictingEmbedCacheApiTest, TheCacheKeepsItsBoundAndEveryVector) {
  const std::string& md = Markdown(kRFaqPdf);
  if (md.empty()) GTEST_SKIP() << "r-doc-pdf not installed or not parsed";
  const json one = Ingest(token_, "one", md);
  const ManualChunks chunks = ChunksOf(one);
  ASSERT_GT(chunks.texts.size(), static_cast<size_t>(kMaxEntries));
  DbInspector db(server_->db_path());
  EXPECT_EQ(db.Count("vectors", "text_sha256 IS NOT NULL"), kMaxEntries);
  const json two = Ingest(token_, "two", md);
  // At most the surviving entries were reused; the rest was paid again.
  const json view = client_->Get("/api/v1/jobs/" + two.value("job_id", ""), token_).Json();
  EXPECT_LE(view["embed"]["chunks_cached"].get<int64_t>(), kMaxEntries);
  EXPECT_GT(view["embed"]["chunks_cached"].get<int64_t>(), 0);
  EXPECT_EQ(DbInspector(server_->db_path()).Count("vectors", "text_sha256 IS NOT NULL"),
            kMaxEntries);
  EXPECT_EQ(Vectors(one), static_cast<int64_t>(chunks.texts.size()));
  EXPECT_EQ(Vectors(two), static_cast<int64_t>(ChunksOf(two).texts.size()));
}

TEST_F(EmbedCacheApiTest, AKillAfterTheHitsNeitherBillsThemNorLosesAVector) {
  const std::string& md = Markdown(kRFaqPdf);
  if (md.empty()) GTEST_SKIP() << "r-doc-pdf not installed or not parsed";
  const json first = Ingest(token_, "original", md);
  const ManualChunks before = ChunksOf(first);
  const size_t requests_first = openai_.requests().size();
  const int64_t billed_first = openai_.billed_tokens();

  // Kills serve just before the fake answers the edited copy's paid request (billed).
  std::atomic<bool> killed{false};
  const pid_t pid = server_->pid();
  openai_.SetBeforeBilledAnswer([&killed, pid](int) {
    if (!killed.exchange(true)) KillAndAwaitDeath(pid);
  });
  const std::string job_id =
      UploadAs(token_, "edited", EditParagraph(md, 0, " This sentence was added by an edit."));
  for (int i = 0; i < 2400 && !killed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(killed) << "no paid request for the edited copy";
  server_->Kill();
  openai_.SetBeforeBilledAnswer(nullptr);
  Restart();
  WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete, 120'000);
  ASSERT_TRUE(done.met) << done.view.dump();

  const ManualChunks after = ChunksOf(done.view);
  const ChunkDiff diff = CompareChunks(before, after);
  ASSERT_FALSE(diff.changed.empty());
  // Only changed texts were ever sent: the lost answer's and its retry's.
  for (const std::string& input : BilledInputs(requests_first)) {
    EXPECT_NE(std::find(diff.changed.begin(), diff.changed.end(), input), diff.changed.end())
        << "a cached chunk was sent: " << input.substr(0, 80);
  }
  EXPECT_EQ(openai_.billed_tokens() - billed_first, 2 * diff.changed_tokens);
  const json view = client_->Get("/api/v1/jobs/" + job_id, token_).Json();
  EXPECT_EQ(view["embed"]["chunks_cached"], after.texts.size() - diff.changed.size());
  EXPECT_EQ(view["embed"]["tokens_cached"], diff.same_tokens);
  EXPECT_EQ(Vectors(done.view), static_cast<int64_t>(after.texts.size()));
  CostsOnceSettled(token_);
  // What the ledger charged is what the fake billed: the lost answer at its lapse.
  EXPECT_EQ(SettledEmbedNanos(), openai_.billed_tokens() * kEmbedNanosPerToken);
}

}  // namespace
}  // namespace ingestd::itest
