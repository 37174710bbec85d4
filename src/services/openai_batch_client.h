// OpenAiBatchClient: embeddings through OpenAI's Batch API, for work that can wait (issue 16
// §2; https://platform.openai.com/docs/guides/batch): half the synchronous price, results
// within the 24 h completion window.
//
// The steps are separate calls so that the caller can make each id durable before the next
// step (a restart resumes the same batch and never creates a second one):
//   UploadInput   POST /v1/files (multipart, purpose=batch): one JSONL line per input,
//                 {custom_id, method: "POST", url: "/v1/embeddings", body}, the body as the
//                 synchronous embedder sends it (base64, dimensions when set); inputs over
//                 max_input_tokens are cut at a token boundary first.
//   FindBatch     GET /v1/batches: the batch already created from a file (the answer to a
//                 create was lost), newest first.
//   CreateBatch   POST /v1/batches {input_file_id, endpoint, completion_window: "24h"}; one
//                 attempt (a retry of a create whose answer was lost could make a second
//                 batch: the caller asks FindBatch first next time).
//   GetBatch      GET /v1/batches/{id}.
//   ReadResults   GET /v1/files/{id}/content of the output and error files: one result per
//                 input, each vector checked as the synchronous embedder checks it (one
//                 embedding of the configured dimensions, finite values), its line's usage.
//
// Limits (checked before anything is sent, kInvalidArgument "BATCH_TOO_LARGE"): 50,000
// requests and 200 MB per input file. Errors are those of OpenAiEmbedder (UPSTREAM_AUTH,
// UPSTREAM_RATE_LIMITED, …; key rotation on 401 the same way). Every request is audited
// (service "embed", operations "files.upload", "batches.create", "batches.retrieve",
// "batches.list", "files.content"). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/openai_embedder.h"

namespace ingestd {

// One request line: one text, named by the caller (custom_id unique within the batch).
struct BatchInput {
  std::string custom_id;
  std::string text;
};

// A batch as GET /v1/batches/{id} describes it.
struct BatchState {
  std::string id;
  std::string status;  // validating | in_progress | finalizing | completed | failed | …
  std::string input_file_id, output_file_id, error_file_id;
  int64_t total = 0, completed = 0, failed = 0;  // request_counts
  std::string error;  // the first of errors.data, "code: message" (a failed batch)
  // completed, failed, expired or cancelled: nothing more will happen to it.
  bool Finished() const;
};

// What became of one input.
struct BatchLineResult {
  std::string custom_id;
  std::vector<float> vector;  // checked; empty when the line failed
  int64_t tokens = 0;         // billed for the line: its usage (our count for a bad 200)
  // Why there is no vector: the line's error code ("batch_expired", "server_error", …),
  // "UPSTREAM_BAD_RESPONSE" for a 200 that failed the checks, "BATCH_LINE_MISSING" for an
  // input in neither file. Empty when vector is set.
  std::string error_code;
};

struct OpenAiBatchDeps {
  http::HttpClient* client = nullptr;  // null: a traced CurlHttpClient of its own
  http::RetryEnv* env = nullptr;       // null: SystemRetryEnv
  const Clock* clock = nullptr;        // null: SystemClock
  KeyRing* keys = nullptr;             // null: config.api_key alone
  AuditSink* audit = nullptr;          // may be null
  std::string temp_dir;                // where the JSONL is written before upload; "": /tmp
};

class OpenAiBatchClient {
 public:
  static constexpr size_t kMaxRequests = 50'000;
  static constexpr int64_t kMaxFileBytes = 200LL << 20;

  // The same configuration as the synchronous embedder (OPENAI_*) and the same checks.
  static Result<std::unique_ptr<OpenAiBatchClient>> Create(OpenAiEmbedderConfig config,
                                                           OpenAiBatchDeps deps = {});
  ~OpenAiBatchClient();

  std::string model() const;  // the stored tag, as OpenAiEmbedder::model()
  int dimensions() const;
  // Tokens of the text as it will be sent (cut to max_input_tokens): what the ledger reserves.
  int64_t CountTokens(const std::string& text) const;

  Result<std::string> UploadInput(const std::vector<BatchInput>& inputs, const CallContext& ctx);
  Result<std::optional<BatchState>> FindBatch(const std::string& input_file_id,
                                              const CallContext& ctx);
  Result<BatchState> CreateBatch(const std::string& input_file_id, const CallContext& ctx);
  Result<BatchState> GetBatch(const std::string& batch_id, const CallContext& ctx);
  // The results of a finished batch, one per input (as uploaded), in the same order.
  Result<std::vector<BatchLineResult>> ReadResults(const BatchState& batch,
                                                   const std::vector<BatchInput>& inputs,
                                                   const CallContext& ctx);

 private:
  struct Impl;
  explicit OpenAiBatchClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingestd
