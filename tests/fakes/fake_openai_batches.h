// FakeOpenAiBatches: the Files and Batch APIs of the fake OpenAI (FakeOpenAiServer routes
// /v1/files… and /v1/batches… here), as the public contract describes them:
//   https://platform.openai.com/docs/guides/batch and the official SDK, openai/openai-python
//   @e43b422: src/openai/resources/files.py (POST /files multipart `file` + `purpose`, GET
//   /files/{id}/content), src/openai/resources/batches.py (POST /batches, GET /batches/{id},
//   GET /batches, POST /batches/{id}/cancel), src/openai/types/file_object.py (FileObject),
//   batch.py (Batch: status validating | failed | in_progress | finalizing | completed |
//   expired | cancelling | cancelled, output_file_id, error_file_id, errors, *_at times),
//   batch_request_counts.py (total, completed, failed), batch_create_params.py (endpoint,
//   completion_window "24h" only, up to 50,000 requests and 200 MB per input file, 50,000
//   embedding inputs per /v1/embeddings batch), batch_error.py (code, line, message, param).
// Input lines are {custom_id, method: "POST", url: "/v1/embeddings", body}; output and error
// file lines are {id, custom_id, response: {status_code, request_id, body} | null,
// error: {code, message} | null} (the guide's "batch output": requests that failed are in the
// error file; a request an expiry left unrun has error code batch_expired).
//
// Time never moves by itself: every GET /v1/batches/{id} moves its batch one step along
// validating → in_progress → finalizing → its outcome, unless the batch's plan holds it in
// in_progress (until Release). The lines are run when the batch leaves in_progress, each
// through the embeddings handler the server passes in (billed at that moment, once).
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fakes/fake_http_server.h"

namespace ingestd::fakes {

enum class BatchOutcome { kCompleted, kFailed, kExpired, kCancelled };

// What the next batch created does (FakeOpenAiServer::PushBatchPlan); default: completes.
struct BatchPlan {
  BatchOutcome outcome = BatchOutcome::kCompleted;
  // Stays in_progress, however often it is polled, until FakeOpenAiServer::ReleaseBatch.
  bool hold_in_progress = false;
  // Lines whose request fails (500 server_error in the error file), by custom_id.
  std::set<std::string> failing_custom_ids;
  // kExpired: this many lines ran (output file, billed) before the window closed; the rest
  // are batch_expired in the error file.
  size_t lines_before_expiry = 0;
};

// A batch as the fake holds it, for tests.
struct FakeBatchView {
  std::string id, status, input_file_id, output_file_id, error_file_id;
  std::vector<std::string> custom_ids;  // of its input lines, in order
  int polls = 0;                        // GET /v1/batches/{id} answered
};

class FakeOpenAiBatches {
 public:
  // Runs one embeddings request body (JSON text) as POST /v1/embeddings would: the reply and
  // the input tokens billed when it is a 200.
  using EmbedFn = std::function<FakeReply(const std::string& body, int64_t* tokens)>;
  using ErrorFn =
      std::function<FakeReply(int status, const std::string& message, const std::string& type,
                              const std::string& param, const std::string& code)>;
  FakeOpenAiBatches(EmbedFn embed, ErrorFn error)
      : embed_(std::move(embed)), error_(std::move(error)) {}

  // Whether target is one of ours; then Handle answers it (the caller checked the key).
  static bool Serves(const std::string& target);
  FakeReply Handle(const FakeRequest& req);

  void PushPlan(BatchPlan plan);
  void Release(const std::string& batch_id);
  // Uploads past `bytes` are refused (400), as the API refuses a file past its 200 MB.
  void SetMaxFileBytes(size_t bytes);
  int batches_created() const;
  int files_uploaded() const;
  std::vector<FakeBatchView> batches() const;
  int64_t billed_tokens() const;  // of the lines run, at the batch price
  // Blocks until GET /v1/batches/{id} has been answered `polls` times in all (every batch's
  // polls counted), or timeout_ms passed: whether it was.
  bool WaitForPolls(int polls, int64_t timeout_ms) const;

  static constexpr size_t kMaxRequests = 50'000;
  static constexpr size_t kMaxFileBytes = 200u << 20;
  static constexpr size_t kMaxEmbeddingInputs = 50'000;

 private:
  struct File {
    std::string id, filename, purpose, content;
    int64_t created_at = 0;
  };
  struct Batch {
    FakeBatchView view;
    BatchPlan plan;
    int64_t created_at = 0;
    std::map<std::string, int64_t> at;  // "in_progress_at", … → time
    nlohmann::json errors;              // null, or {object: list, data: [...]}
    int64_t total = 0, completed = 0, failed = 0, input_tokens = 0;
  };

  FakeReply Upload(const FakeRequest& req);
  FakeReply Create(const std::string& body);
  FakeReply Poll(const std::string& id);
  FakeReply List();
  FakeReply Cancel(const std::string& id);
  FakeReply Content(const std::string& file_id);
  nlohmann::json BatchJson(const Batch& b) const;
  // Checks the input file (fails the batch with errors when a line is invalid).
  void Validate(Batch* b);
  // Runs the lines and writes the output and error files, ending in `final_status`.
  void Run(Batch* b);
  std::string NewFile(std::string purpose, std::string filename, std::string content);
  int64_t Now();
  FakeReply Json(const nlohmann::json& body) const;
  FakeReply NotFound(const std::string& what, const std::string& id) const;

  const EmbedFn embed_;
  const ErrorFn error_;
  mutable std::mutex mu_;
  mutable std::condition_variable polled_;
  int polls_ = 0;                          // guarded by mu_
  size_t max_file_bytes_ = kMaxFileBytes;  // guarded by mu_
  std::vector<BatchPlan> plans_;           // FIFO: the next batch created takes the front
  std::map<std::string, File> files_;
  std::map<std::string, Batch> batches_;
  std::vector<std::string> batch_order_;
  int64_t clock_ = 1'765'000'000;  // Unix seconds; +1 per event, so *_at times are ordered
  int64_t seq_ = 0;
  int64_t billed_ = 0;
};

}  // namespace ingestd::fakes
