// FakeOpenAiServer: an in-process stand-in for OpenAI's POST /v1/embeddings (and GET
// /v1/models/{model}, the free health probe) on a free loopback port, faithful to the wire contract
// (DESIGN.md §7): bearer auth, request validation with OpenAI's error bodies, float and base64
// encodings, `dimensions`, usage, x-ratelimit-* and x-request-id headers. Vectors are deterministic
// per (model, dimensions, text), so tests can check that each result landed on its input.
//
// Faults are scripted: each embeddings request takes the next queued fault (none once the queue is
// empty). Every request is logged for tests to inspect. Thread-safe; one thread per
// connection (Boost.Beast, synchronous).
//
// Billing follows the provider's contract: a request is billed its input tokens
// (usage.prompt_tokens) once OpenAI answers it 200 — also when that answer then breaks off or
// reaches a client that stopped waiting — and never when it answers an error
// (https://platform.openai.com/docs/api-reference/embeddings/object; openai/openai-python
// src/openai/types/create_embedding_response.py: Usage.prompt_tokens). billed_tokens() sums
// what the fake billed.
//
// Retry headers as the official SDK reads them (openai/openai-python @e43b422,
// src/openai/_base_client.py: _parse_retry_after_header, _should_retry, _constants.py
// MAX_RETRY_AFTER_DELAY = 120 s): retry-after-ms before retry-after, and x-should-retry
// "true"/"false" obeyed before the status. x-ratelimit-reset-* is "the time until the rate
// limit resets to its initial state" (https://platform.openai.com/docs/guides/rate-limits
// "Rate limits in headers"), sent with x-ratelimit-limit-* and x-ratelimit-remaining-*.
//
// The Files and Batch APIs (POST /v1/files, POST/GET /v1/batches, GET /v1/files/{id}/content)
// are FakeOpenAiBatches (fake_openai_batches.h, which cites their contract): batches move one
// step per poll, their lines run through the same embeddings handler, billed apart
// (batch_billed_tokens) at the batch price; faults are scripted per batch (PushBatchPlan).
// The fake outlives any number of clients: a test restarts ingestd against the same batches.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fakes/fake_openai_batches.h"

namespace ingestd::fakes {

// The key the fake accepts unless a test configures others.
inline constexpr char kOpenAiTestKey[] = "sk-fake-0123456789abcdef";

enum class EmbedFault {
  kNone,
  kRateLimit,       // 429 rate_limit_exceeded (+ the hint headers set in FaultSpec)
  kQuota,           // 429 insufficient_quota
  kServerError,     // 500
  kUnavailable,     // 503
  kHang,            // accept, then answer nothing for hang_ms
  kTruncatedJson,   // 200 whose JSON stops half-way (Content-Length matches)
  kMalformedJson,   // 200 with a body that is not JSON
  kTruncatedBody,   // 200 that promises more bytes than it sends, then closes (billed)
  kSlowAnswer,      // a normal 200, after hang_ms: a client that gave up first was billed
  kWrongCount,      // 200 with one vector missing
  kWrongDimension,  // 200 with one vector a value short
  kNaN,             // 200 with a NaN in a vector (float: the literal NaN; base64: bits)
};

struct FaultSpec {
  EmbedFault fault = EmbedFault::kNone;
  std::string retry_after;     // "retry-after" header value when set
  std::string retry_after_ms;  // "retry-after-ms" header value when set
  std::string reset_requests;  // sends x-ratelimit-remaining-requests: 0 and this reset
};

struct FakeOpenAiOptions {
  std::string api_key = kOpenAiTestKey;
  int64_t latency_ms = 0;    // added before every answer
  int64_t hang_ms = 5'000;   // how long kHang stalls (or until the server stops)
  bool reverse_data = true;  // answer `data` in reverse order: clients must map by index
  // What successful answers report as the request budget left and its reset.
  int64_t limit_requests = 10000;
  int64_t remaining_requests = 9999;
  std::string reset_requests = "6ms";
  std::string should_retry{};  // when set, sent as x-should-retry on every error answer
  int port = 0;                // 0: a free loopback port
};

struct LoggedRequest {
  std::string method;
  std::string target;
  std::string authorization;
  std::string correlation_id;  // X-Correlation-ID
  std::string traceparent;     // W3C trace context headers as sent ("" when absent)
  std::string tracestate;
  nlohmann::json body;  // null when not JSON
  size_t inputs = 0;
  int64_t tokens = 0;
  int status = 0;       // what the fake answered (0 for a hang or a cut connection)
  bool billed = false;  // embeddings answered 200 (cut or late included): `tokens` billed
};

class FakeOpenAiServer {
 public:
  explicit FakeOpenAiServer(FakeOpenAiOptions options = {});
  ~FakeOpenAiServer();  // stops, ending hangs and closing connections
  FakeOpenAiServer(const FakeOpenAiServer&) = delete;
  FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>"
  void PushFaults(std::vector<FaultSpec> faults);
  void PushFault(EmbedFault fault) { PushFaults({FaultSpec{fault, "", "", ""}}); }
  // An outage: while set (not kNone), every authenticated request, embeddings and model
  // lookups alike, answers with this fault instead of the queued ones (data faults apply to
  // embeddings only; a model lookup then answers normally). kNone ends it.
  void SetOutage(EmbedFault fault);
  // A provider answering outside its contract: while set (not null), every 200 answer (model
  // lookups and embeddings) has this RFC 7386 merge patch applied, e.g. {"id": 5} or
  // {"usage": {"total_tokens": "8"}}. null ends it.
  void SetAnswerPatch(nlohmann::json merge_patch);
  // Keys accepted besides options.api_key. A revoked key (any accepted one) is answered
  // OpenAI's 401 invalid_api_key ("Incorrect API key provided: sk-…****…"), as a key
  // deleted in the dashboard is; AddKey admits it again.
  void AddKey(const std::string& key);
  void RevokeKey(const std::string& key);
  std::vector<LoggedRequest> requests() const;
  int connections_accepted() const;
  // The input tokens of every billed embeddings request, retries and repeats included.
  int64_t billed_tokens() const;
  // Called on the connection thread just before each billed embeddings answer is sent, with
  // how many have been billed so far (1-based): a test may stop the client there (between the
  // provider's answer and the client's settle). Empty: none.
  void SetBeforeBilledAnswer(std::function<void(int billed)> hook);

  // The Batch API. The next batch created takes the oldest plan pushed (default: completes).
  void PushBatchPlan(BatchPlan plan);
  // Lets a batch held in_progress (BatchPlan::hold_in_progress) move on at its next poll.
  void ReleaseBatch(const std::string& batch_id);
  // Refuses batch input files past `bytes` (400), like one past the API's 200 MB.
  void SetBatchMaxFileBytes(size_t bytes);
  int batches_created() const;
  int batch_files_uploaded() const;            // purpose=batch uploads
  std::vector<FakeBatchView> batches() const;  // oldest first
  // The input tokens of every batch line run (each once), apart from billed_tokens().
  int64_t batch_billed_tokens() const;
  // Blocks until batches have been polled `polls` times in all, or timeout_ms passed.
  bool WaitForBatchPolls(int polls, int64_t timeout_ms) const {
    return batch_api().WaitForPolls(polls, timeout_ms);
  }

  // The vector the fake returns for text.
  static std::vector<float> VectorFor(std::string_view model, int dimensions,
                                      std::string_view text);
  static int NativeDimensions(std::string_view model);  // 0 for an unknown model

 private:
  const FakeOpenAiBatches& batch_api() const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingestd::fakes
