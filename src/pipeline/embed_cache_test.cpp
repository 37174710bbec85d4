// The embedding cache in the embed stage (issue 16 §1): an edited document pays only for
// its changed chunks, the scopes (user, global, off), eviction that never loses a vector,
// and a stage stopped after its hits were stored does not copy or pay for them again.
#include <gtest/gtest.h>

#include <set>

#include "core/crypto.h"

#include "pipeline/pipeline_test_env.h"
#include "pipeline/worker.h"

namespace ingestd {
namespace {

using testing::PipelineTestEnv;
using testing::SyntheticPdf;

// Answers every parse with the markdown the test set.
class FixedParser final : public Parser {
 public:
  std::string name() const override { return "fixed"; }
  Result<ParseOutput> Parse(const ParseInput&, const CallContext&) override {
    ParseOutput out;
    out.markdown = markdown;
    out.page_count = 1;
    out.implementation = "fixed";
    return out;
  }
  std::string markdown;
};

// The mock embedder, counting the texts it is sent; fail_next makes its next call fail
// (retryable), as a provider outage would.
class CountingEmbedder final : public Embedder {
 public:
  std::string name() const override { return inner_.name(); }
  std::string model() const override { return inner_.model(); }
  int dimensions() const override { return inner_.dimensions(); }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts,
                            const CallContext& ctx) override {
    if (fail_next) {
      fail_next = false;
      return Status::Error(Kind::kUpstream, "EMBED_UPSTREAM", "provider down", true);
    }
    sent.insert(sent.end(), texts.begin(), texts.end());
    return inner_.Embed(texts, ctx);
  }
  std::vector<std::string> sent;
  bool fail_next = false;

 private:
  MockEmbedder inner_;
};

// Nine sections of three paragraphs; section 3's second paragraph says `edit`.
std::string Manual(const std::string& edit = "the original wording") {
  std::string md;
  for (int s = 1; s <= 9; ++s) {
    md += "# Section " + std::to_string(s) + "\n\n";
    for (int p = 1; p <= 3; ++p) {
      std::string para = "Paragraph " + std::to_string(p) + " of section " + std::to_string(s) +
                         (s == 3 && p == 2 ? " has " + edit : " explains one thing") + ".";
      for (int k = 0; k < 30; ++k) para += " Words to fill the paragraph with some tokens.";
      md += para + "\n\n";
    }
  }
  return md;
}

class EmbedCacheTest : public PipelineTestEnv {
 protected:
  void SetUp() override {
    PipelineTestEnv::SetUp();
    options_.embed_batch_size = 8;
  }
  PipelineDeps CacheDeps() {
    PipelineDeps deps = Deps();
    deps.parser = &parser_;
    deps.embedder = &counting_;
    deps.embed_price = [](const std::string&, int64_t tokens) { return tokens * 20; };
    return deps;
  }
  // Uploads markdown as user's document and runs its job to the end; returns the job.
  Job Ingest(const std::string& markdown, const std::string& user = "user-1") {
    parser_.markdown = markdown;
    Job job = Upload(SyntheticPdf(1, "doc-" + std::to_string(++uploads_)), user);
    Worker w(CacheDeps(), options_, "w-1");
    while (w.RunOnce()) {
    }
    EXPECT_EQ(GetJob(job.id).status, JobStatus::kComplete);
    return job;
  }
  std::vector<Chunk> Chunks(const Job& job) {
    auto chunks = store_->GetChunks(job.document_id);
    EXPECT_TRUE(chunks.ok());
    return chunks.ok() ? *chunks : std::vector<Chunk>{};
  }
  // Every chunk has its own vector, and it is the one its text embeds to.
  void ExpectEveryChunkEmbedded(const Job& job) {
    auto vectors = store_->GetVectors(job.document_id);
    ASSERT_TRUE(vectors.ok());
    const auto chunks = Chunks(job);
    ASSERT_EQ(vectors->size(), chunks.size());
    for (size_t i = 0; i < chunks.size(); ++i) {
      EXPECT_EQ((*vectors)[i].chunk_id, chunks[i].id);
      EXPECT_EQ((*vectors)[i].values, MockEmbedder::VectorFor(chunks[i].text)) << i;
    }
  }
  EmbedUsage Usage(const Job& job) {
    auto usage = store_->GetEmbedUsage(job.document_id);
    EXPECT_TRUE(usage.ok());
    return usage.ok() ? *usage : EmbedUsage{};
  }

  FixedParser parser_;
  CountingEmbedder counting_;
  int uploads_ = 0;
};

TEST_F(EmbedCacheTest, AnEditedDocumentPaysOnlyForItsChangedChunks) {
  const Job first = Ingest(Manual());
  const auto before = Chunks(first);
  ASSERT_GE(before.size(), 9u);
  EXPECT_EQ(counting_.sent.size(), before.size());
  counting_.sent.clear();

  const Job edited = Ingest(Manual("a new sentence, changed by an edit"));
  std::set<std::string> old_texts;
  for (const Chunk& c : before) old_texts.insert(c.text);
  std::vector<std::string> changed;
  std::set<std::string> sections;
  int64_t changed_tokens = 0, same_tokens = 0;
  for (const Chunk& c : Chunks(edited)) {
    if (old_texts.contains(c.text)) {
      same_tokens += c.token_count;
    } else {
      changed.push_back(c.text);
      sections.insert(c.heading_path);
      changed_tokens += c.token_count;
    }
  }
  ASSERT_FALSE(changed.empty());
  EXPECT_EQ(sections, std::set<std::string>{"Section 3"}) << "chunks changed beyond the edit";
  EXPECT_EQ(counting_.sent, changed) << "only the changed chunks are embedded";
  ExpectEveryChunkEmbedded(edited);
  const EmbedUsage usage = Usage(edited);
  EXPECT_EQ(usage.chunks, static_cast<int64_t>(Chunks(edited).size()));
  EXPECT_EQ(usage.chunks_cached, usage.chunks - static_cast<int64_t>(changed.size()));
  EXPECT_EQ(usage.tokens_paid, changed_tokens);
  EXPECT_EQ(usage.tokens_cached, same_tokens);
  EXPECT_EQ(usage.saved_nanos, same_tokens * 20);
  EXPECT_EQ(Usage(first).chunks_cached, 0);
}

TEST_F(EmbedCacheTest, UserScopeReusesOnlyTheUsersOwnVectors) {
  Ingest(Manual(), "alice");
  const size_t all = counting_.sent.size();
  counting_.sent.clear();
  const Job bob = Ingest(Manual(), "bob");
  EXPECT_EQ(counting_.sent.size(), all) << "bob paid for his own copy";
  EXPECT_EQ(Usage(bob).chunks_cached, 0);
  counting_.sent.clear();
  const Job alice_again = Ingest(Manual(), "alice");
  EXPECT_TRUE(counting_.sent.empty());
  EXPECT_EQ(Usage(alice_again).chunks_cached, static_cast<int64_t>(all));
  ExpectEveryChunkEmbedded(alice_again);
}

TEST_F(EmbedCacheTest, GlobalScopeReusesAnotherUsersVectorOfTheSameText) {
  options_.embed_cache = EmbedCacheScope::kGlobal;
  Ingest(Manual(), "alice");
  const size_t all = counting_.sent.size();
  counting_.sent.clear();
  const Job bob = Ingest(Manual(), "bob");
  EXPECT_TRUE(counting_.sent.empty());
  EXPECT_EQ(Usage(bob).chunks_cached, static_cast<int64_t>(all));
  ExpectEveryChunkEmbedded(bob);
}

TEST_F(EmbedCacheTest, OffEmbedsEveryChunk) {
  options_.embed_cache = EmbedCacheScope::kOff;
  Ingest(Manual());
  const size_t all = counting_.sent.size();
  counting_.sent.clear();
  const Job again = Ingest(Manual());
  EXPECT_EQ(counting_.sent.size(), all);
  EXPECT_EQ(Usage(again).chunks_cached, 0);
}

TEST_F(EmbedCacheTest, EvictionBoundsTheCacheAndKeepsEveryVector) {
  options_.embed_cache_max_vectors = 5;
  const Job first = Ingest(Manual());
  const Job second = Ingest(Manual("an edit"));
  auto entries = store_->FindCachedVectors(
      counting_.model(), counting_.dimensions(),
      [&] {
        std::vector<std::string> hashes;
        for (const Job& j : {first, second}) {
          for (const Chunk& c : Chunks(j)) hashes.push_back(Sha256Hex(c.text));
        }
        return hashes;
      }(),
      "");
  ASSERT_TRUE(entries.ok());
  EXPECT_LE(entries->size(), 5u);
  ExpectEveryChunkEmbedded(first);
  ExpectEveryChunkEmbedded(second);
}

TEST_F(EmbedCacheTest, HitsStoredBeforeAFailedCallAreNeitherCopiedNorPaidAgain) {
  Ingest(Manual());
  counting_.sent.clear();
  parser_.markdown = Manual("an edit that must be paid for");
  Job job = Upload(SyntheticPdf(1, "edited"));
  counting_.fail_next = true;  // the changed chunks' call fails once
  Worker w(CacheDeps(), options_, "w-1");
  while (w.RunOnce()) {
  }
  ASSERT_EQ(GetJob(job.id).state, QueueState::kRetryable);
  const EmbedUsage stopped = Usage(job);
  EXPECT_GT(stopped.chunks_cached, 0) << "the hits were stored before the call";
  EXPECT_TRUE(counting_.sent.empty());
  clock_.Advance(3'600'000);
  while (w.RunOnce()) {
  }
  ASSERT_EQ(GetJob(job.id).status, JobStatus::kComplete);
  // Each chunk was either copied once or embedded once: the failed call's texts are sent
  // again, no hit is.
  const EmbedUsage done = Usage(job);
  EXPECT_GE(done.chunks_cached, stopped.chunks_cached);
  EXPECT_EQ(done.chunks_cached + static_cast<int64_t>(counting_.sent.size()), done.chunks);
  EXPECT_LE(counting_.sent.size(), 2u);
  ExpectEveryChunkEmbedded(job);
}

}  // namespace
}  // namespace ingestd
