// The cost of embedding documents synchronously vs through the Batch API batcher (issue 16
// §2), in process against the fake OpenAI on loopback, figures from the ledger: the same
// documents (each manual's markdown, the local parser's) through the real pipeline (Worker,
// SQLite store, markdown-tokens@1 at 512/64) twice, each on a fresh database —
//   sync:  the router in real mode over OpenAiEmbedder (reserve, call, settle);
//   batch: every job below INGESTD_BATCH_BELOW_PRIORITY, parked, packed by the Batcher into
//          batches, settled from each line's usage at the batch price.
//   batch_cost_bench --ingestd BIN --dir D PDF...
// Prints "BATCH_COST <mode> key=value …" lines for bench/batch/run.sh.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "batch/batcher.h"
#include "batch/sqlite_batch_store.h"
#include "core/blob_names.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/log.h"
#include "harness/manual_edits.h"
#include "ledger/sqlite_ledger.h"
#include "pipeline/worker.h"
#include "services/http/curl_http_client.h"
#include "services/router/service_router.h"
#include "tests/fakes/fake_openai_server.h"
#include "text/markdown_token_chunker.h"

namespace ingestd {
namespace {

[[noreturn]] void Fail(const Status& s) {
  std::fprintf(stderr, "batch_cost_bench: %s\n", s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) Fail(r.status());
  return std::move(*r);
}

// Parses each document to the markdown registered for it.
class MarkdownParser final : public Parser {
 public:
  std::string name() const override { return "mock"; }
  Result<ParseOutput> Parse(const ParseInput& in, const CallContext&) override {
    return ParseOutput{
        .markdown = markdown.at(in.document_id), .page_count = 1, .implementation = "bench"};
  }
  std::map<std::string, std::string> markdown;
};

struct Figures {
  int64_t cost_nanos = 0, tokens = 0, calls = 0;
  int64_t billed_sync = 0, billed_batch = 0, batches = 0, chunks = 0, vectors = 0;
  double seconds = 0;
};

Figures Run(const std::string& dir, const std::vector<std::string>& manuals, bool batch) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  SystemClock* clock = SystemClock::Default();
  fakes::FakeOpenAiServer openai;
  http::CurlHttpClient http;
  auto store = Must(OpenStore("sqlite://" + dir + "/db.sqlite"));
  if (Status s = store->Migrate(); !s.ok()) Fail(s);
  auto blobs = Must(OpenFsBlobStore(dir + "/blobs"));
  auto ledger = Must(SqliteLedger::Open(dir + "/db.sqlite", clock, LedgerOptions{}));
  OpenAiEmbedderConfig oa;
  oa.api_key = fakes::kOpenAiTestKey;
  oa.base_url = openai.base_url();
  ServiceImpls impls;
  impls.embedders["real"] = Must(OpenAiEmbedder::Create(oa, {&http, nullptr, clock}));
  auto parser = std::make_unique<MarkdownParser>();
  MarkdownParser* markdown = parser.get();
  impls.parsers["mock"] = std::move(parser);
  RouterOptions ro;
  ro.embed_mode = ServiceMode::kReal;
  ro.parse_mode = ServiceMode::kMock;
  auto router = Must(ServiceRouter::Create(std::move(ro), std::move(impls), clock, ledger.get()));
  auto client = Must(OpenAiBatchClient::Create(oa, {&http, nullptr, clock, nullptr, nullptr, dir}));
  auto queue = Must(SqliteBatchStore::Open(dir + "/db.sqlite", client->model()));
  const PriceTable prices;
  BatcherOptions bo;
  bo.holder = "bench";
  bo.flush_ms = 0;
  Batcher batcher({queue.get(), store.get(), client.get(), ledger.get(), &prices, clock}, bo);
  MarkdownTokenChunker chunker;
  PipelineOptions options;
  options.embed_batch_size = 2048;
  if (batch) options.batch_below_priority = 1;
  PipelineDeps deps{store.get(),        blobs.get(), router->parser(),
                    router->embedder(), &chunker,    clock};
  deps.batches = queue.get();

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> docs;
  for (const std::string& md : manuals) {
    const std::string pdf = "%PDF-1.4\n% " + std::to_string(docs.size()) + "\n%%EOF\n";
    Document doc;
    doc.id = NewUuidV4();
    doc.user_id = "bench-user";
    doc.filename = "manual.pdf";
    doc.mime = "application/pdf";
    doc.size_bytes = static_cast<int64_t>(pdf.size());
    doc.sha256 = Sha256Hex(pdf);
    markdown->markdown[doc.id] = md;
    Job job;
    job.id = NewUuidV4();
    job.document_id = doc.id;
    job.user_id = doc.user_id;
    job.status = JobStatus::kAwaitingUpload;
    job.correlation_id = NewUuidV4();
    const int64_t now = clock->NowMillis();
    if (auto up = store->CreateUpload(doc, job, now); !up.ok()) Fail(up.status());
    if (Status s = blobs->Put(DocumentBlobKey(doc.id), pdf); !s.ok()) Fail(s);
    if (Status s = store->CompleteUpload(job.id, DocumentBlobKey(doc.id), now); !s.ok()) Fail(s);
    docs.push_back(doc.id);
  }
  Worker worker(deps, options, "bench");
  while (worker.RunOnce()) {
  }
  if (batch) {
    // Packs, then one step per Tick (the fake moves a batch one status per poll).
    for (int i = 0; i < 100; ++i) {
      if (Status s = batcher.Tick(); !s.ok()) Fail(s);
      if (Must(queue->OpenRuns()).empty()) break;
    }
    while (worker.RunOnce()) {
    }
  }
  Figures f;
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const std::string& id : docs) {
    auto job = Must(store->FindJobForDocument(id));
    if (!job || job->status != JobStatus::kComplete) {
      std::fprintf(stderr, "batch_cost_bench: a job did not complete\n");
      std::exit(1);
    }
    f.chunks += Must(store->CountChunks(id));
    f.vectors += Must(store->CountVectors(id));
  }
  CostQuery q;
  q.to_ms = clock->NowMillis() + 1;
  q.service = "embed";
  for (const CostRow& r : Must(ledger->Costs(q)).rows) {
    f.cost_nanos += r.cost_nanos;
    f.tokens += r.units;
    f.calls += r.calls;
  }
  f.billed_sync = openai.billed_tokens();
  f.billed_batch = openai.batch_billed_tokens();
  f.batches = openai.batches_created();
  return f;
}

void Print(const char* mode, const Figures& f) {
  std::printf(
      "BATCH_COST %s cost_nanos=%lld cost_usd=%.6f tokens=%lld ledger_calls=%lld "
      "fake_billed_sync=%lld fake_billed_batch=%lld batches=%lld chunks=%lld vectors=%lld "
      "seconds=%.2f\n",
      mode, static_cast<long long>(f.cost_nanos), static_cast<double>(f.cost_nanos) / 1e9,
      static_cast<long long>(f.tokens), static_cast<long long>(f.calls),
      static_cast<long long>(f.billed_sync), static_cast<long long>(f.billed_batch),
      static_cast<long long>(f.batches), static_cast<long long>(f.chunks),
      static_cast<long long>(f.vectors), f.seconds);
}

}  // namespace
}  // namespace ingestd

int main(int argc, char** argv) {
  using namespace ingestd;
  std::string ingestd_bin, dir;
  std::vector<std::string> pdfs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--ingestd" && i + 1 < argc) {
      ingestd_bin = argv[++i];
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      pdfs.push_back(a);
    }
  }
  if (ingestd_bin.empty() || dir.empty() || pdfs.empty()) {
    std::fprintf(stderr, "usage: batch_cost_bench --ingestd BIN --dir D PDF...\n");
    return 2;
  }
  log::SetMinLevel(log::Level::kError);  // a line per stage of every job otherwise
  std::vector<std::string> manuals;
  for (const std::string& pdf : pdfs) {
    manuals.push_back(itest::ParseLocally(ingestd_bin, pdf));
    if (manuals.back().empty()) {
      std::fprintf(stderr, "batch_cost_bench: %s did not parse\n", pdf.c_str());
      return 1;
    }
  }
  const Figures sync = Run(dir + "/sync", manuals, false);
  const Figures batch = Run(dir + "/batch", manuals, true);
  Print("sync", sync);
  Print("batch", batch);
  std::printf("BATCH_COST ratio batch_over_sync=%.4f same_tokens=%s\n",
              static_cast<double>(batch.cost_nanos) / static_cast<double>(sync.cost_nanos),
              sync.tokens == batch.tokens ? "yes" : "no");
  return 0;
}
