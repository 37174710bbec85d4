// The embedding cache (issue 16 §1), in process, through the real pipeline (Worker, SQLite
// store, filesystem blobs, the markdown-tokens@1 chunker) with a free embedder that counts
// the tokens it is sent (the mock's vectors, 1536-d):
//   1. tokens paid vs total over an edit-and-re-upload series: each manual's markdown (the
//      local parser's), then --edits versions, each with one more paragraph edited, each
//      ingested as a new document of the same user (cache scope user);
//   2. the embed stage's time per 1,000 chunks with the cache off, on without a hit (every
//      chunk looked up, none found) and on with every chunk a hit (a fresh database each
//      run; the median of --repeats): the lookup's extra latency is on - off.
//   embed_cache_bench --ingestd BIN --dir D [--edits 10] [--repeats 5] PDF...
// Prints "EMBED_CACHE <name> key=value …" lines for bench/embed_cache/run.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/blob_names.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "harness/manual_edits.h"
#include "pipeline/worker.h"
#include "services/mock_embedder.h"
#include "text/markdown_token_chunker.h"
#include "text/tokenizer.h"

namespace ingestd {
namespace {

// Parses every document to the markdown it was told.
class MarkdownParser final : public Parser {
 public:
  explicit MarkdownParser(const std::string* markdown) : markdown_(markdown) {}
  std::string name() const override { return "bench"; }
  Result<ParseOutput> Parse(const ParseInput&, const CallContext&) override {
    return ParseOutput{.markdown = *markdown_, .page_count = 1, .implementation = "bench"};
  }

 private:
  const std::string* markdown_;
};

// The mock embedder, adding up the cl100k_base tokens of the texts it is sent.
class TokenCountingEmbedder final : public Embedder {
 public:
  std::string name() const override { return mock_.name(); }
  std::string model() const override { return mock_.model(); }
  int dimensions() const override { return mock_.dimensions(); }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts,
                            const CallContext& ctx) override {
    for (const std::string& t : texts) sent_tokens += Tokenizer::Cl100kBase().Count(t);
    return mock_.Embed(texts, ctx);
  }
  int64_t sent_tokens = 0;

 private:
  MockEmbedder mock_;
};

// One database, blob directory and pipeline.
class Bench {
 public:
  Bench(const std::string& dir, EmbedCacheScope scope) : dir_(dir) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    store_ = Must(OpenStore("sqlite://" + dir + "/db.sqlite"));
    if (Status s = store_->Migrate(); !s.ok()) Fail(s);
    blobs_ = Must(OpenFsBlobStore(dir + "/blobs"));
    options_.embed_cache = scope;
    options_.embed_batch_size = 2048;  // as for a remote embedder (cli/pipeline_setup.cpp)
  }

  // Ingests markdown as a new document of "bench-user" up to the embed stage, which it
  // times alone when timed; returns the embed stage's milliseconds.
  double Ingest(const std::string& markdown) {
    markdown_ = markdown;
    const std::string pdf = "%PDF-1.4\n% " + std::to_string(++uploads_) + "\n%%EOF\n";
    Document doc{.id = NewUuidV4(), .user_id = "bench-user", .filename = "manual.pdf"};
    doc.mime = "application/pdf";
    doc.size_bytes = static_cast<int64_t>(pdf.size());
    doc.sha256 = Sha256Hex(pdf);
    Job job{.id = NewUuidV4(), .document_id = doc.id, .user_id = doc.user_id};
    job.status = JobStatus::kAwaitingUpload;
    job.correlation_id = NewUuidV4();
    const int64_t now = SystemClock::Default()->NowMillis();
    if (auto up = store_->CreateUpload(doc, job, now); !up.ok()) Fail(up.status());
    if (Status s = blobs_->Put(DocumentBlobKey(doc.id), pdf); !s.ok()) Fail(s);
    if (Status s = store_->CompleteUpload(job.id, DocumentBlobKey(doc.id), now); !s.ok()) Fail(s);
    Worker worker(PipelineDeps{store_.get(), blobs_.get(), &parser_, &embedder_, &chunker_,
                               SystemClock::Default()},
                  options_, "bench");
    double embed_ms = 0;
    for (;;) {
      const auto status = Must(store_->GetJobUnscoped(job.id)).status;
      const auto t0 = std::chrono::steady_clock::now();
      if (!worker.RunOnce()) break;
      if (status == JobStatus::kChunksStored) {
        embed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                       .count();
      }
    }
    if (Must(store_->GetJobUnscoped(job.id)).status != JobStatus::kComplete) {
      std::fprintf(stderr, "embed_cache_bench: a job did not complete\n");
      std::exit(1);
    }
    last_chunks_ = Must(store_->CountChunks(doc.id));
    return embed_ms;
  }

  int64_t last_chunks() const { return last_chunks_; }
  TokenCountingEmbedder& embedder() { return embedder_; }

 private:
  template <typename T>
  static T Must(Result<T> r) {
    if (!r.ok()) Fail(r.status());
    return std::move(*r);
  }
  [[noreturn]] static void Fail(const Status& s) {
    std::fprintf(stderr, "embed_cache_bench: %s\n", s.ToString().c_str());
    std::exit(1);
  }

  std::string dir_;
  std::string markdown_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<BlobStore> blobs_;
  MarkdownParser parser_{&markdown_};
  TokenCountingEmbedder embedder_;
  MarkdownTokenChunker chunker_;
  PipelineOptions options_;
  int uploads_ = 0;
  int64_t last_chunks_ = 0;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int64_t Tokens(const std::string& markdown) {
  int64_t n = 0;
  for (const Chunk& c : MarkdownTokenChunker().Split(NewUuidV4(), markdown)) n += c.token_count;
  return n;
}

}  // namespace
}  // namespace ingestd

int main(int argc, char** argv) {
  using namespace ingestd;
  std::string ingestd_bin, dir;
  int edits = 10, repeats = 5;
  std::vector<std::string> pdfs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--ingestd" && i + 1 < argc) {
      ingestd_bin = argv[++i];
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--edits" && i + 1 < argc) {
      edits = std::atoi(argv[++i]);
    } else if (a == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else {
      pdfs.push_back(a);
    }
  }
  if (ingestd_bin.empty() || dir.empty() || pdfs.empty()) {
    std::fprintf(stderr, "usage: embed_cache_bench --ingestd BIN --dir D [--edits N] PDF...\n");
    return 2;
  }

  // 1. The edit-and-re-upload series.
  int64_t total_all = 0, paid_all = 0;
  std::string largest;
  for (const std::string& pdf : pdfs) {
    std::string md = itest::ParseLocally(ingestd_bin, pdf);
    if (md.empty()) {
      std::fprintf(stderr, "embed_cache_bench: %s did not parse\n", pdf.c_str());
      return 1;
    }
    if (md.size() > largest.size()) largest = md;
    Bench bench(dir + "/series", EmbedCacheScope::kUser);
    const int64_t first = Tokens(md);
    int64_t total = 0;
    for (int v = 0; v <= edits; ++v) {
      if (v > 0) {
        md = itest::EditParagraph(md, 7 * v, " (Edited in revision " + std::to_string(v) + ".)");
      }
      total += Tokens(md);
      bench.Ingest(md);
    }
    const int64_t paid = bench.embedder().sent_tokens;
    total_all += total;
    paid_all += paid;
    std::printf(
        "EMBED_CACHE series file=%s versions=%d tokens_total=%lld tokens_paid=%lld "
        "paid_pct=%.2f edits_paid=%lld\n",
        std::filesystem::path(pdf).filename().c_str(), edits + 1, static_cast<long long>(total),
        static_cast<long long>(paid),
        100.0 * static_cast<double>(paid) / static_cast<double>(total),
        static_cast<long long>(paid - first));
  }
  std::printf("EMBED_CACHE series_all files=%zu tokens_total=%lld tokens_paid=%lld paid_pct=%.2f\n",
              pdfs.size(), static_cast<long long>(total_all), static_cast<long long>(paid_all),
              100.0 * static_cast<double>(paid_all) / static_cast<double>(total_all));

  // 2. The embed stage's time: off, on without hits, on with every chunk a hit.
  std::vector<double> off, miss, hit;
  int64_t chunks = 0;
  for (int r = 0; r < repeats; ++r) {
    Bench plain(dir + "/off", EmbedCacheScope::kOff);
    off.push_back(plain.Ingest(largest));
    Bench cached(dir + "/on", EmbedCacheScope::kUser);
    miss.push_back(cached.Ingest(largest));
    hit.push_back(cached.Ingest(largest));
    chunks = cached.last_chunks();
  }
  const double per_k = 1000.0 / static_cast<double>(chunks);
  std::printf(
      "EMBED_CACHE latency chunks=%lld repeats=%d off_ms_per_1k=%.1f miss_ms_per_1k=%.1f "
      "hit_ms_per_1k=%.1f lookup_extra_ms_per_1k=%.1f\n",
      static_cast<long long>(chunks), repeats, Median(off) * per_k, Median(miss) * per_k,
      Median(hit) * per_k, (Median(miss) - Median(off)) * per_k);
  std::filesystem::remove_all(dir);
  return 0;
}
