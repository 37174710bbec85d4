#include "pipeline/stages.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/blob_names.h"
#include "core/crypto.h"
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
  return CallContext{job.correlation_id, job.id, job.user_id};
}

Status InvalidEmbedding(const std::string& why) {
  // A malformed provider response is treated like any upstream hiccup: retry.
  return Status::Error(Kind::kUpstream, "EMBED_INVALID_RESPONSE", why, true);
}

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
                                     const ProgressFn& progress) const {
  switch (stage) {
    case Stage::kParse:
      return Parse(job, doc);
    case Stage::kValidate:
      return Validate(doc);
    case Stage::kChunk:
      return ChunkMarkdown(doc);
    case Stage::kEmbed:
      return Embed(job, doc, progress);
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
                                       const ProgressFn& progress) const {
  Result<std::vector<Chunk>> chunks = deps_.store->GetChunks(doc.id);
  if (!chunks.ok()) return chunks.status();
  StageOutput out;
  out.vectors.reserve(chunks->size());
  int64_t tokens = 0;
  double cost = 0;
  size_t batches = 0;
  size_t truncated = 0;  // inputs the provider's per-input token limit cut short
  for (size_t begin = 0; begin < chunks->size(); begin += options_.embed_batch_size) {
    const size_t end = std::min(chunks->size(), begin + options_.embed_batch_size);
    std::vector<std::string> texts;
    for (size_t i = begin; i < end; ++i) texts.push_back((*chunks)[i].text);
    Result<EmbedOutput> batch = deps_.embedder->Embed(texts, ContextOf(job));
    if (!batch.ok()) return batch.status();
    if (batch->model.empty()) return InvalidEmbedding("vectors without a model tag");
    if (batch->vectors.size() != texts.size()) {
      return InvalidEmbedding("expected " + std::to_string(texts.size()) + " vectors, got " +
                              std::to_string(batch->vectors.size()));
    }
    // Checked against the implementation that served the batch: a fallback's vectors have
    // its own length, not the configured model's.
    const size_t dims = static_cast<size_t>(batch->dimensions > 0 ? batch->dimensions
                                                                  : deps_.embedder->dimensions());
    for (size_t i = begin; i < end; ++i) {
      std::vector<float>& v = batch->vectors[i - begin];
      if (v.size() != dims)
        return InvalidEmbedding("vector of " + std::to_string(v.size()) + " dimensions, expected " +
                                std::to_string(dims));
      if (!std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); })) {
        return InvalidEmbedding("vector with a non-finite value");
      }
      out.vectors.push_back({(*chunks)[i].id, doc.id, batch->model, std::move(v)});
    }
    tokens += batch->total_tokens;
    cost += batch->cost_usd;
    truncated += batch->truncated_inputs.size();
    ++batches;
    if (end < chunks->size()) {
      if (Status s = progress(static_cast<int>(end * 100 / chunks->size())); !s.ok()) return s;
    }
  }
  out.payload = {{"vectors", out.vectors.size()},
                 {"model", deps_.embedder->model()},
                 {"batches", batches},
                 {"total_tokens", tokens},
                 {"cost_usd", cost},
                 {"truncated_inputs", truncated}};
  return out;
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
