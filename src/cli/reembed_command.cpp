// `ingestd reembed [--dry-run] [--limit N]`: once the real embedder is back, re-embeds the
// chunks whose vectors a hybrid fallback made (they carry the fallback's model tag) and
// replaces them with the real model's, one document at a time and atomically
// (Store::ReplaceDocumentVectors): a document never ends with a mix of models.
//
// The calls go through the service router in real mode, so each is reserved in and settled
// with the ledger like a pipeline call and carries a correlation id (recorded in the
// document's job events). A budget refusal stops the run at once (exit 3) with a clear
// message: the documents done so far are complete, the rest untouched. --dry-run lists the
// candidates and their chunk counts without calling anything.
//
// Output: one JSON line per document, then a summary line. Exit 0 done, 1 error, 2 usage,
// 3 budget refusal.
#include <charconv>
#include <cstdio>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/ledger_setup.h"
#include "cli/process_setup.h"
#include "cli/provider_access.h"
#include "cli/service_factory.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "services/mock_parser.h"
#include "services/router/service_router.h"
#include "services/token_estimate.h"

namespace ingestd::cli {
namespace {

constexpr char kUsage[] = "usage: ingestd reembed [--dry-run] [--limit N]\n";
constexpr int kBudgetExit = 3;

struct Options {
  bool dry_run = false;
  int limit = 1'000;  // documents per run
};

bool ParseArgs(const Args& args, Options* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--dry-run") {
      out->dry_run = true;
    } else if (args[i] == "--limit" && i + 1 < args.size()) {
      const std::string& v = args[++i];
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out->limit);
      if (ec != std::errc() || p != v.data() + v.size() || out->limit < 1 || out->limit > 10'000) {
        return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

// The real embedder behind a router in real mode: reserved, settled, never a fallback.
// Its keys and audit log are serve's (provider_access.h).
Result<std::unique_ptr<ServiceRouter>> RealEmbedRouter(const Config& config,
                                                       const ProviderAccess& access, Clock* clock,
                                                       Ledger* ledger) {
  ServiceOptions options;
  options.openai = OpenAiConfigFrom(config);
  access.ApplyTo(&options);
  auto real = MakeEmbedder("real", options);
  if (!real.ok()) return real.status();
  ServiceImpls impls;
  impls.parsers["mock"] = std::make_unique<MockParser>();  // the parse route is never used
  impls.embedders["real"] = std::move(real.value());
  RouterOptions ro;
  ro.embed_mode = ServiceMode::kReal;
  ro.breaker = config.breaker;
  ro.prices = config.ledger.prices;
  ro.count_tokens = ExactEmbedTokens(options.openai.max_input_tokens);
  return ServiceRouter::Create(std::move(ro), std::move(impls), clock, ledger);
}

// One document's re-embedding: the chunks without a vector of the target model.
struct Plan {
  std::string document_id;
  std::vector<Chunk> chunks;
  std::set<std::string> from_models;
  int64_t estimated_tokens = 0;
};

Result<Plan> PlanDocument(Store& store, const std::string& doc_id, const std::string& model) {
  auto chunks = store.GetChunks(doc_id);
  if (!chunks.ok()) return chunks.status();
  auto vectors = store.GetVectors(doc_id);
  if (!vectors.ok()) return vectors.status();
  std::set<std::string> done;
  Plan plan{doc_id, {}, {}, 0};
  for (const VectorRecord& v : *vectors) {
    if (v.model == model) {
      done.insert(v.chunk_id);
    } else {
      plan.from_models.insert(v.model);
    }
  }
  for (Chunk& c : *chunks) {
    if (done.count(c.id)) continue;
    plan.estimated_tokens += EstimateTokens(c.text);
    plan.chunks.push_back(std::move(c));
  }
  return plan;
}

// Embeds the plan's chunks with the routed real embedder and swaps the vectors in.
Result<nlohmann::json> Reembed(Store& store, Embedder& embedder, const Plan& plan, Clock* clock) {
  auto doc = store.GetDocumentUnscoped(plan.document_id);
  if (!doc.ok()) return doc.status();
  auto job = store.FindJobForDocument(plan.document_id);
  if (!job.ok()) return job.status();
  const CallContext ctx{NewUuidV4(), job->has_value() ? (*job)->id : "", doc->user_id,
                        job->has_value() ? (*job)->processing_priority : 0};
  std::vector<std::string> texts;
  for (const Chunk& c : plan.chunks) texts.push_back(c.text);
  auto out = embedder.Embed(texts, ctx);
  if (!out.ok()) return out.status();
  if (out->model != embedder.model() || out->vectors.size() != texts.size()) {
    return Status::Internal("REEMBED_MISMATCH", "the embedder answered another model or count");
  }
  std::vector<VectorRecord> records;
  for (size_t i = 0; i < texts.size(); ++i) {
    records.push_back(
        {plan.chunks[i].id, plan.document_id, out->model, std::move(out->vectors[i])});
  }
  if (Status s = store.ReplaceDocumentVectors(plan.document_id, records); !s.ok()) return s;
  nlohmann::json line = {{"document_id", plan.document_id},     {"chunks", texts.size()},
                         {"from_models", plan.from_models},     {"model", out->model},
                         {"tokens", out->total_tokens},         {"cost_usd", out->cost_usd},
                         {"correlation_id", ctx.correlation_id}};
  if (!ctx.job_id.empty()) {
    Event e;
    e.job_id = ctx.job_id;
    e.correlation_id = ctx.correlation_id;
    e.type = "stage_done";
    e.code = "VECTORS_REEMBEDDED";
    e.stage = "embed";
    e.payload = line;
    e.at_ms = clock->NowMillis();
    (void)store.AppendEvent(e);  // best effort: the vectors are replaced either way
  }
  return line;
}

}  // namespace

int RunReembed(const Args& args) {
  Options opts;
  if (!ParseArgs(args, &opts)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  Clock* clock = SystemClock::Default();
  auto config = LoadProcessConfig(ProcessEnv());
  if (!config.ok()) return FailStart("reembed", config.status());
  auto backends = OpenBackends(*config);
  if (!backends.ok()) return FailStart("reembed", backends.status());
  Store& store = *backends->store;
  auto ledger = OpenLedger(*config, clock, &store);
  if (!ledger.ok()) return FailStart("reembed", ledger.status());
  auto access = OpenProviderAccess(*config, &store, clock);
  if (!access.ok()) return FailStart("reembed", access.status());
  auto router = RealEmbedRouter(*config, *access, clock, ledger->get());
  if (!router.ok()) return FailStart("reembed", router.status());
  Embedder& embedder = *(*router)->embedder();
  const std::string model = embedder.model();

  auto docs = store.ListDocumentsWithOtherVectors(model, opts.limit);
  if (!docs.ok()) return FailStart("reembed", docs.status());
  int64_t documents = 0, chunks = 0;
  for (const std::string& doc_id : *docs) {
    auto plan = PlanDocument(store, doc_id, model);
    if (!plan.ok()) return FailStart("reembed", plan.status());
    if (opts.dry_run) {
      const nlohmann::json line = {{"document_id", doc_id},
                                   {"chunks", plan->chunks.size()},
                                   {"from_models", plan->from_models},
                                   {"model", model},
                                   {"estimated_tokens", plan->estimated_tokens}};
      std::printf("%s\n", line.dump().c_str());
    } else {
      auto line = Reembed(store, embedder, *plan, clock);
      if (!line.ok()) {
        const Status& s = line.status();
        const bool budget = s.kind() == Kind::kBudgetExceeded;
        std::fprintf(stderr,
                     "ingestd reembed: stopped at document %s: %s (%s)%s; %lld document(s) were "
                     "re-embedded completely, the rest are untouched\n",
                     doc_id.c_str(), s.message().c_str(), s.code().c_str(),
                     budget ? " — the embedding budget has no room; run again when it has" : "",
                     static_cast<long long>(documents));
        log::Error("reembed stopped", {{"document_id", doc_id}, {"code", s.code()}});
        return budget ? kBudgetExit : 1;
      }
      std::printf("%s\n", line->dump().c_str());
    }
    ++documents;
    chunks += static_cast<int64_t>(plan->chunks.size());
    std::fflush(stdout);
  }
  const nlohmann::json summary = {{"summary",
                                   {{"documents", documents},
                                    {"chunks", chunks},
                                    {"model", model},
                                    {"dry_run", opts.dry_run},
                                    {"more", docs->size() == static_cast<size_t>(opts.limit)}}}};
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}

}  // namespace ingestd::cli
