#include "pipeline/stages.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "core/blob_names.h"
#include "core/crypto.h"
#include "core/json_read.h"
#include "core/log.h"
#include "pipeline/llamaparse_job_events.h"

namespace ingestd {
namespace {

const std::array<StageInfo, 5> kStages = {{
    {"parse", "PARSE_STARTED", "PARSE_STORED", JobStatus::kParseQueued, JobStatus::kParsed},
    {"validate", "VALIDATE_STARTED", "PARSE_VALIDATED", std::nullopt, JobStatus::kParseValidated},
    {"chunk", "CHUNK_STARTED", "CHUNKS_STORED", JobStatus::kChunking, JobStatus::kChunksStored},
    {"embed", "EMBED_STARTED", "EMBEDDINGS_STORED", JobStatus::kEmbeddingInProgress,
     JobStatus::kEmbeddingsStored},
    {"finalize", "FINALIZE_STARTED", "JOB_COMPLETED", std::nullopt, JobStatus::kComplete},
}};

CallContext ContextOf(const Job& job) {
  return CallContext{job.correlation_id, job.id, job.user_id, job.processing_priority};
}

Status InvalidEmbedding(const std::string& why) {
  // A malformed provider response is treated like any upstream hiccup: retry.
  return Status::Error(Kind::kUpstream, "EMBED_INVALID_RESPONSE", why, true);
}

// Checks and stores the vectors of one embed batch as they arrive: part by part from an
// embedder that reports its provider requests, then whatever no part carried.
class BatchVectors final : public EmbedSink {
 public:
  // hashes[i]: the cache key of chunks[i]'s text, stored with its vector.
  BatchVectors(std::span<const Chunk* const> chunks, std::span<const std::string> hashes,
               const std::string& doc_id, const StageHooks& hooks, size_t* embedded,
               std::function<int()> pct)
      : chunks_(chunks),
        hashes_(hashes),
        doc_id_(doc_id),
        hooks_(hooks),
        embedded_(embedded),
        pct_(std::move(pct)),
        stored_(chunks.size(), false) {}

  Status Accept(const std::vector<size_t>& indices, const std::vector<std::vector<float>>& vectors,
                const std::string& model, int dimensions) override {
    if (model.empty()) return InvalidEmbedding("vectors without a model tag");
    if (indices.size() != vectors.size()) return InvalidEmbedding("vectors without their texts");
    std::vector<VectorRecord> records;
    records.reserve(indices.size());
    for (size_t k = 0; k < indices.size(); ++k) {
      const std::vector<float>& v = vectors[k];
      if (indices[k] >= chunks_.size()) return InvalidEmbedding("a vector of no text in the batch");
      if (v.size() != static_cast<size_t>(dimensions)) {
        return InvalidEmbedding("vector of " + std::to_string(v.size()) + " dimensions, expected " +
                                std::to_string(dimensions));
      }
      if (!std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); })) {
        return InvalidEmbedding("vector with a non-finite value");
      }
      const Chunk& chunk = *chunks_[indices[k]];
      VectorRecord& r = records.emplace_back(VectorRecord{chunk.id, doc_id_, model, v});
      r.text_sha256 = hashes_[indices[k]];
      r.tokens = chunk.token_count;
    }
    for (size_t i : indices) {
      if (!stored_[i]) ++*embedded_;
      stored_[i] = true;
    }
    if (Status s = hooks_.store_vectors(std::move(records), pct_()); !s.ok()) {
      // The stage's own reason to stop (store, lost lease, shutdown) is no fault of the
      // provider's: the router neither counts it against the service nor falls back.
      stopped_ = s;
      return Status::Error(Kind::kConflict, "EMBED_STOPPED", s.message(), false);
    }
    return Status();
  }

  // Why the batch failed: the stage's own reason to stop when it had one, else `s`.
  Status Cause(const Status& s) const { return stopped_.ok() ? s : stopped_; }

  // Indices of the batch's texts no Accept stored yet.
  std::vector<size_t> Unstored() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < stored_.size(); ++i) {
      if (!stored_[i]) out.push_back(i);
    }
    return out;
  }

 private:
  const std::span<const Chunk* const> chunks_;
  const std::span<const std::string> hashes_;
  const std::string& doc_id_;
  const StageHooks& hooks_;
  size_t* const embedded_;  // the stage's count of vectors stored, over all batches
  const std::function<int()> pct_;
  std::vector<bool> stored_;
  Status stopped_;
};

}  // namespace

std::optional<Stage> StageFor(JobStatus status) {
  switch (status) {
    case JobStatus::kUploaded:
    case JobStatus::kParseQueued:
    case JobStatus::kParseSubmitted:
      return Stage::kParse;
    case JobStatus::kParsed:
      return Stage::kValidate;
    case JobStatus::kParseValidated:
    case JobStatus::kChunking:
      return Stage::kChunk;
    case JobStatus::kChunksStored:
    case JobStatus::kEmbeddingQueued:
    case JobStatus::kEmbeddingInProgress:
    case JobStatus::kEmbeddingBatched:
      return Stage::kEmbed;
    case JobStatus::kEmbeddingsStored:
      return Stage::kFinalize;
    case JobStatus::kAwaitingUpload:
    case JobStatus::kComplete:
      return std::nullopt;
  }
  return std::nullopt;
}

const StageInfo& Info(Stage stage) { return kStages[static_cast<size_t>(stage)]; }

std::string NormalizeMarkdown(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\0') continue;
    if (c == '\r') {
      out.push_back('\n');
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
      continue;
    }
    out.push_back(c);
  }
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f'; };
  size_t b = 0, e = out.size();
  while (b < e && is_space(out[b])) ++b;
  while (e > b && is_space(out[e - 1])) --e;
  return out.substr(b, e - b);
}

Result<StageOutput> StageRunner::Run(Stage stage, const Job& job, const Document& doc,
                                     const StageHooks& hooks) const {
  switch (stage) {
    case Stage::kParse:
      return Parse(job, doc);
    case Stage::kValidate:
      return Validate(doc);
    case Stage::kChunk:
      return ChunkMarkdown(doc);
    case Stage::kEmbed:
      return Embed(job, doc, hooks);
    case Stage::kFinalize:
      return Finalize(doc);
  }
  return Status::Internal("STAGE_UNKNOWN", "unknown stage");
}

Result<StageOutput> StageRunner::Parse(const Job& job, const Document& doc) const {
  const std::string key = doc.blob_key.empty() ? DocumentBlobKey(doc.id) : doc.blob_key;
  Result<std::string> path = deps_.blobs->LocalPath(key);
  if (!path.ok()) return path.status();
  ParseInput in{*path, doc.size_bytes, doc.id, doc.filename};
  CallContext ctx = ContextOf(job);
  std::string parked;  // the reservation a parked parse keeps open
  if (job.status == JobStatus::kParseSubmitted) {
    auto events = deps_.store->ListEvents(job.user_id, job.id);
    if (!events.ok()) return events.status();
    for (const Event& e : *events) {  // id order: the latest park wins, until closed
      if (e.code == kParseSubmissionClosedCode) parked.clear();
      if (e.code != kParseParkedCode) continue;
      const auto it = e.payload.find("reservation_id");
      parked = it != e.payload.end() && it->is_string() ? it->get<std::string>() : "";
    }
  }
  ctx.parked_reservation = &parked;
  Result<ParseOutput> parsed = deps_.parser->Parse(in, ctx);
  if (!parsed.ok() && IsParsePending(parsed.status())) {
    StageOutput out;
    out.park_for_ms = std::max<int64_t>(parsed.status().retry_after_ms().value_or(1'000), 1);
    out.payload = {{"reservation_id", parked}, {"retry_in_ms", *out.park_for_ms}};
    return out;
  }
  if (!parsed.ok()) return parsed.status();
  // Stored already normalized, so validate need not rewrite it (a blob write costs two
  // fsyncs); validate still normalizes whatever it finds, so this is only a shortcut.
  const std::string markdown = NormalizeMarkdown(parsed->markdown);
  if (Status s = deps_.blobs->Put(MarkdownBlobKey(doc.id), markdown); !s.ok()) return s;
  StageOutput out;
  out.page_count = parsed->page_count;
  out.payload = {{"page_count", parsed->page_count},
                 {"markdown_bytes", markdown.size()},
                 {"implementation", parsed->implementation},
                 {"cost_usd", parsed->cost_usd}};
  if (parsed->partial) {
    // The job completes with what the provider parsed; the event says it is not all.
    Event partial;
    partial.type = "warning";
    partial.code = "PARSE_PARTIAL";
    partial.payload = {{"pages", parsed->page_count}, {"implementation", parsed->implementation}};
    out.events.push_back(std::move(partial));
  }
  return out;
}

Result<StageOutput> StageRunner::Validate(const Document& doc) const {
  const std::string key = MarkdownBlobKey(doc.id);
  Result<std::string> markdown = deps_.blobs->Get(key);
  if (!markdown.ok()) return markdown.status();
  std::string normalized = NormalizeMarkdown(*markdown);
  if (normalized.empty()) {
    return Status::Error(Kind::kUnprocessable, "PARSE_EMPTY",
                         "the parser found no text in the document", false);
  }
  // Rewriting is idempotent: normalizing normalized text changes nothing.
  if (normalized != *markdown) {
    if (Status s = deps_.blobs->Put(key, normalized); !s.ok()) return s;
  }
  StageOutput out;
  out.payload = {{"markdown_bytes", normalized.size()}, {"sha256", Sha256Hex(normalized)}};
  return out;
}

Result<StageOutput> StageRunner::ChunkMarkdown(const Document& doc) const {
  Result<std::string> markdown = deps_.blobs->Get(MarkdownBlobKey(doc.id));
  if (!markdown.ok()) return markdown.status();
  StageOutput out;
  out.chunks = deps_.chunker->Split(doc.id, *markdown);
  out.payload = {{"chunks", out.chunks->size()}, {"chunker", deps_.chunker->name()}};
  return out;
}

Result<StageOutput> StageRunner::Embed(const Job& job, const Document& doc,
                                       const StageHooks& hooks) const {
  Result<std::vector<Chunk>> chunks = deps_.store->GetChunks(doc.id);
  if (!chunks.ok()) return chunks.status();
  // Vectors are stored as each provider request returns, so a re-run (a retry, or a job a
  // stopping worker gave back) pays only for the chunks without one in the space that new
  // calls embed into.
  Result<std::vector<VectorRecord>> stored = deps_.store->GetVectors(doc.id);
  if (!stored.ok()) return stored.status();
  const std::string space = deps_.embedder->model();
  std::unordered_set<std::string> have;
  for (const VectorRecord& v : *stored) {
    if (v.model == space) have.insert(v.chunk_id);
  }
  std::vector<const Chunk*> todo;
  for (const Chunk& c : *chunks) {
    if (!have.contains(c.id)) todo.push_back(&c);
  }
  const size_t reused = chunks->size() - todo.size();
  const int dims = deps_.embedder->dimensions();
  size_t embedded = 0;
  size_t batched = 0;  // vectors a Batch API batch made
  CacheCopies cached;
  const auto pct = [&] {
    return static_cast<int>((reused + cached.chunks + embedded + batched) * 100 / chunks->size());
  };
  if (CanWait(job, space)) {
    Result<std::optional<StageOutput>> parked =
        ThroughBatch(job, doc, space, dims, hooks, pct, &todo, &batched, &cached);
    if (!parked.ok()) return parked.status();
    if (*parked) return std::move(**parked);
  }
  int64_t tokens = 0;
  double cost = 0;
  size_t batches = 0;
  size_t truncated = 0;  // inputs the provider's per-input token limit cut short
  for (size_t begin = 0; begin < todo.size(); begin += options_.embed_batch_size) {
    const size_t end = std::min(todo.size(), begin + options_.embed_batch_size);
    // The cache first: hits are stored at once and never sent; the rest is embedded.
    std::vector<const Chunk*> send(todo.begin() + begin, todo.begin() + end);
    std::vector<std::string> hashes;
    for (const Chunk* c : send) hashes.push_back(Sha256Hex(c->text));
    if (Status s = CopyCached(job, doc, space, dims, hooks, pct, &send, &hashes, &cached);
        !s.ok()) {
      return s;
    }
    if (!send.empty()) {
      Result<EmbedOutput> batch = EmbedBatch(job, doc, send, hashes, hooks, pct, &embedded);
      if (!batch.ok()) return batch.status();
      tokens += batch->total_tokens;
      cost += batch->cost_usd;
      truncated += batch->truncated_inputs.size();
      ++batches;
    }
    if (end < todo.size()) {
      if (Status s = hooks.progress(pct()); !s.ok()) return s;
    }
  }
  // Keeps the cache within its bound. Best effort: the stage's vectors are stored, and the
  // next stage trims again.
  if (Result<int64_t> evicted = deps_.store->EvictEmbedCache(options_.embed_cache_max_vectors);
      !evicted.ok()) {
    log::Warn("embedding cache eviction failed",
              {{"job_id", job.id}, {"error", evicted.status().ToString()}});
  }
  if (deps_.batches != nullptr) {
    // The job's batch entries have served (their vectors are stored): best effort, a leftover
    // entry only makes a later re-run store the same vectors again.
    if (Status s = deps_.batches->Forget(job.id); !s.ok()) {
      log::Warn("batch queue cleanup failed", {{"job_id", job.id}, {"error", s.ToString()}});
    }
  }
  StageOutput out;
  out.payload = {{"vectors", embedded},
                 {"batched_vectors", batched},
                 {"reused_vectors", reused},
                 {"cached_vectors", cached.chunks},
                 {"cached_tokens", cached.tokens},
                 {"saved_nanos", cached.saved_nanos},
                 {"model", space},
                 {"batches", batches},
                 {"total_tokens", tokens},
                 {"cost_usd", cost},
                 {"truncated_inputs", truncated}};
  return out;
}

Status StageRunner::CopyCached(const Job& job, const Document& doc, const std::string& space,
                               int dims, const StageHooks& hooks, const std::function<int()>& pct,
                               std::vector<const Chunk*>* send, std::vector<std::string>* hashes,
                               CacheCopies* cached) const {
  if (options_.embed_cache == EmbedCacheScope::kOff) return Status();
  const std::string user = options_.embed_cache == EmbedCacheScope::kUser ? job.user_id : "";
  Result<std::vector<VectorRecord>> found =
      deps_.store->FindCachedVectors(space, dims, *hashes, user);
  if (!found.ok()) return found.status();
  if (found->empty()) return Status();
  std::unordered_map<std::string, const VectorRecord*> by_hash;
  for (const VectorRecord& v : *found) by_hash.emplace(v.text_sha256, &v);
  std::vector<VectorRecord> copies;
  std::vector<const Chunk*> rest;
  std::vector<std::string> rest_hashes;
  for (size_t i = 0; i < send->size(); ++i) {
    const Chunk& chunk = *(*send)[i];
    const auto hit = by_hash.find((*hashes)[i]);
    if (hit == by_hash.end()) {
      rest.push_back(&chunk);
      rest_hashes.push_back(std::move((*hashes)[i]));
      continue;
    }
    VectorRecord& copy =
        copies.emplace_back(VectorRecord{chunk.id, doc.id, space, hit->second->values});
    copy.text_sha256 = std::move((*hashes)[i]);
    copy.tokens = chunk.token_count;
    copy.cache_hit = true;
    copy.saved_nanos = deps_.embed_price ? deps_.embed_price(space, chunk.token_count) : 0;
    cached->tokens += copy.tokens;
    cached->saved_nanos += copy.saved_nanos;
  }
  cached->chunks += copies.size();
  *send = std::move(rest);
  *hashes = std::move(rest_hashes);
  return copies.empty() ? Status() : hooks.store_vectors(std::move(copies), pct());
}

bool StageRunner::CanWait(const Job& job, const std::string& space) const {
  if (deps_.batches == nullptr || deps_.batches->model() != space) return false;
  if (json_read::String(job.router_config, "embed_via") == "batch") return true;
  return options_.batch_below_priority && job.processing_priority < *options_.batch_below_priority;
}

Result<std::optional<StageOutput>> StageRunner::ThroughBatch(
    const Job& job, const Document& doc, const std::string& space, int dims,
    const StageHooks& hooks, const std::function<int()>& pct, std::vector<const Chunk*>* todo,
    size_t* batched, CacheCopies* cached) const {
  Result<BatchTurn> turn = deps_.batches->Turn(job.id);
  if (!turn.ok()) return turn.status();
  StageOutput park;
  park.park_for_ms = options_.batch_park_ms;
  park.park_status = JobStatus::kEmbeddingBatched;
  park.park_code = kEmbedBatchedCode;
  if (turn->state == BatchTurn::State::kWaiting) {
    park.payload = {{"model", space}, {"waiting", true}};
    return std::optional<StageOutput>(std::move(park));
  }
  if (turn->state == BatchTurn::State::kSettled) {
    // Stores what the batches made; the rest (failed lines, an expired batch) is embedded
    // synchronously by the caller.
    std::unordered_set<std::string> wanted;
    for (const Chunk* c : *todo) wanted.insert(c->id);
    std::vector<VectorRecord> records;
    for (VectorRecord& v : turn->vectors) {
      if (!wanted.erase(v.chunk_id) || v.model != space) continue;
      v.document_id = doc.id;
      records.push_back(std::move(v));
    }
    *batched = records.size();
    if (!records.empty()) {
      if (Status s = hooks.store_vectors(std::move(records), pct()); !s.ok()) return s;
    }
    std::erase_if(*todo, [&](const Chunk* c) { return !wanted.contains(c->id); });
    return std::optional<StageOutput>();
  }
  // First turn: the cache first (hits are never sent), then the rest waits for a batch.
  std::vector<std::string> hashes;
  for (const Chunk* c : *todo) hashes.push_back(Sha256Hex(c->text));
  if (Status s = CopyCached(job, doc, space, dims, hooks, pct, todo, &hashes, cached); !s.ok()) {
    return s;
  }
  if (todo->empty()) return std::optional<StageOutput>();
  std::vector<BatchedChunk> waiting;
  for (size_t i = 0; i < todo->size(); ++i) {
    waiting.push_back({(*todo)[i]->id, hashes[i], (*todo)[i]->token_count});
  }
  if (Status s = deps_.batches->Enqueue(job, waiting, deps_.clock->NowMillis()); !s.ok()) {
    return s;
  }
  park.payload = {{"model", space}, {"chunks", waiting.size()}, {"cached_vectors", cached->chunks}};
  return std::optional<StageOutput>(std::move(park));
}

Result<EmbedOutput> StageRunner::EmbedBatch(const Job& job, const Document& doc,
                                            const std::vector<const Chunk*>& send,
                                            const std::vector<std::string>& hashes,
                                            const StageHooks& hooks,
                                            const std::function<int()>& pct,
                                            size_t* embedded) const {
  BatchVectors sink(send, hashes, doc.id, hooks, embedded, pct);
  std::vector<std::string> texts;
  for (const Chunk* c : send) texts.push_back(c->text);
  CallContext ctx = ContextOf(job);
  ctx.embedded = &sink;
  Result<EmbedOutput> batch = deps_.embedder->Embed(texts, ctx);
  if (!batch.ok()) return sink.Cause(batch.status());
  if (batch->vectors.size() != texts.size()) {
    return InvalidEmbedding("expected " + std::to_string(texts.size()) + " vectors, got " +
                            std::to_string(batch->vectors.size()));
  }
  // What no reported request carried: an embedder that does not report, or a fallback that
  // served the call after the real one failed. Checked against the implementation that
  // served the batch: a fallback's vectors have its own length, not the configured model's.
  const std::vector<size_t> rest = sink.Unstored();
  if (!rest.empty()) {
    std::vector<std::vector<float>> values;
    for (size_t i : rest) values.push_back(std::move(batch->vectors[i]));
    const int dims = batch->dimensions > 0 ? batch->dimensions : deps_.embedder->dimensions();
    if (Status s = sink.Accept(rest, values, batch->model, dims); !s.ok()) return sink.Cause(s);
  }
  return batch;
}

Result<StageOutput> StageRunner::Finalize(const Document& doc) const {
  Result<int64_t> chunks = deps_.store->CountChunks(doc.id);
  if (!chunks.ok()) return chunks.status();
  Result<int64_t> vectors = deps_.store->CountVectors(doc.id);
  if (!vectors.ok()) return vectors.status();
  StageOutput out;
  out.payload = {{"chunks", *chunks}, {"vectors", *vectors}};
  return out;
}

}  // namespace ingestd
