// LlamaParseParser: the real Parser, LlamaParse's REST API (DESIGN.md §7).
//
// Parse: upload the stored PDF as multipart straight from disk (POST
// /api/v1/parsing/upload), record the returned job id through the ProviderJobRecorder
// BEFORE waiting on it, poll GET /api/v1/parsing/job/{id} with backoff until the job's status
// (PENDING | SUCCESS | ERROR | PARTIAL_SUCCESS | CANCELLED) is final, then fetch
// /result/markdown (markdown + job_metadata.job_pages; a cache hit costs 0). PARTIAL_SUCCESS
// returns what was parsed, with ParseOutput::partial set. A retry of
// the stage finds the recorded id and resumes polling that job instead of uploading (and
// paying) again. Only a crash between the upload's answer and the record can cause a second
// upload: the API takes no idempotency key.
//
// Billing (CallContext::billed): the result adds the pages LlamaParse billed for the job
// (job_metadata.job_pages; 0 for a cache hit); an upload whose answer was lost after it was
// sent (a timeout, a cut connection, an unusable 2xx) may have started a billed job we never
// learn of, and adds the document's own page count.
//
// Errors: UPSTREAM_PARSE_FAILED (kUnprocessable, status ERROR), UPSTREAM_PARSE_CANCELLED
// (kUpstream, CANCELLED) — both with the provider's error_code and error_message —,
// UPSTREAM_QUOTA (kBudgetExceeded, 402: out of credits), UPSTREAM_AUTH (401/403),
// UPSTREAM_BAD_REQUEST (other 4xx), UPSTREAM_PARSE_JOB_UNKNOWN (404 for a recorded id) —
// none retryable; retryable:
// UPSTREAM_RATE_LIMITED, UPSTREAM_UNAVAILABLE, transport errors, UPSTREAM_BAD_RESPONSE,
// UPSTREAM_PARSE_TIMEOUT (job_timeout_ms of polling; the next attempt resumes the job),
// PARSE_JOB_NOT_RECORDED (the record failed; the upload is logged with its id).
// Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "services/http/http_client.h"
#include "services/http/retrying_sender.h"
#include "services/keys/key_ring.h"
#include "services/parser.h"

namespace ingestd {

// Durable memory of which provider job a parse of our job submitted.
class ProviderJobRecorder {
 public:
  virtual ~ProviderJobRecorder() = default;
  virtual Result<std::optional<std::string>> Find(const CallContext& ctx) = 0;
  virtual Status Record(const CallContext& ctx, const std::string& provider_job_id) = 0;
  // The job ended for good (ERROR, CANCELLED): the next Parse uploads afresh.
  virtual Status Close(const CallContext& ctx, const std::string& provider_job_id) = 0;
  // How many completion webhooks have been accepted for our job so far (0 when the
  // recorder cannot know): a rise means "poll now".
  virtual Result<int> CountNotices(const CallContext& /*ctx*/) { return 0; }
  // When the open job was recorded (wall ms; 0 when the recorder cannot know): a parked
  // parse paces its polls and its job_timeout_ms by it.
  virtual Result<int64_t> RecordedAtMs(const CallContext& /*ctx*/) { return 0; }
};

struct LlamaParseConfig {
  std::string api_key;  // LLAMAPARSE_API_KEY (required unless LlamaParseDeps::keys is set)
  std::string base_url = "https://api.cloud.llamaindex.ai";  // LLAMAPARSE_BASE_URL
  std::string tier = "cost_effective";                       // LLAMAPARSE_TIER (form field)
  int64_t job_timeout_ms = 30 * 60'000;                      // polling budget of one attempt
  BackoffPolicy poll{
      .base_delay_ms = 1'000, .max_delay_ms = 10'000, .multiplier = 1.5, .jitter = Jitter::kEqual};
  http::HttpTimeouts timeouts{.connect_ms = 10'000, .total_ms = 600'000};
  http::HttpTimeouts probe_timeouts{.connect_ms = 5'000, .total_ms = 10'000};
  http::RetryPolicy retry;
  // Completion webhooks (DESIGN.md §7), when both are set: our public base URL
  // (INGESTD_PUBLIC_URL) and the server secret per-job signing secrets derive from.
  // Polling stays on as the backstop.
  std::string webhook_base_url;
  std::string webhook_master_secret;
  // Park instead of waiting: a poll that finds the job PENDING returns kParsePendingCode
  // (retry_after = half the time since the job was recorded, within poll's base and max
  // delay) and the caller calls Parse again later, holding no thread meanwhile; past
  // job_timeout_ms since the record, UPSTREAM_PARSE_TIMEOUT as below. Off: Parse polls
  // in the calling thread until the job ends.
  bool park_pending = false;
  // With webhooks on, waits between polls are cut into slices this long, each followed by a
  // look for a new notice, so a webhook brings the next poll forward.
  int64_t notice_check_ms = 1'000;
};

struct LlamaParseDeps {
  ProviderJobRecorder* recorder = nullptr;  // required
  http::HttpClient* client = nullptr;       // null: an owned, traced CurlHttpClient
  http::RetryEnv* env = nullptr;            // null: SystemRetryEnv
  const Clock* clock = nullptr;             // null: SystemClock
  // The keys, round-robin per request (not owned; outlives the parser). null:
  // config.api_key alone, as key id "default". A 401 takes the key out of rotation and the
  // request goes again with the next key; with none left: PROVIDER_KEYS_EXHAUSTED.
  KeyRing* keys = nullptr;
  // Hears every upload and result fetch sent (not owned; may be null). Status polls are
  // free and not audited; the result's row carries the pages the job was billed for.
  AuditSink* audit = nullptr;
};

class LlamaParseParser final : public Parser {
 public:
  // kInvalidArgument "LLAMAPARSE_CONFIG" for a missing key or recorder, or a bad base URL.
  static Result<std::unique_ptr<LlamaParseParser>> Create(LlamaParseConfig config,
                                                          LlamaParseDeps deps);
  ~LlamaParseParser() override;
  std::string name() const override { return "llamaparse"; }
  Result<ParseOutput> Parse(const ParseInput& in, const CallContext& ctx) override;
  // GET /api/v1/parsing/job/{nil uuid}: authenticated (a bad key answers 401) and free (it
  // reads no document and starts nothing); 404 "job not found" is the healthy answer.
  // (GET /api/v1/parsing/supported_file_extensions is free too, but it takes no key, so it
  // cannot tell a revoked key.) One attempt with probe_timeouts; errors as Parse's.
  Status CheckHealth(const CallContext& ctx) override;

 private:
  LlamaParseParser(LlamaParseConfig config, LlamaParseDeps deps);
  Result<std::string> Upload(const ParseInput& in, const CallContext& ctx);
  // Polls until the job is done: false for SUCCESS, true for PARTIAL_SUCCESS (some pages
  // parsed); ERROR and CANCELLED are final errors with the provider's error_code/message.
  Result<bool> AwaitCompletion(const std::string& id, const CallContext& ctx);
  // park_pending: the status a PENDING poll returns (PARSE_PENDING, or the timeout).
  Status Pending(const CallContext& ctx);
  // Sleeps up to delay_ms; returns early when a webhook notice beyond `notices` arrives.
  // Returns the time slept.
  int64_t SleepUntilNotice(int64_t delay_ms, int notices, const CallContext& ctx);
  Result<ParseOutput> FetchMarkdown(const std::string& id, const CallContext& ctx);
  // One request, retried; audited (as operation `audited`) unless null. lost_answers
  // (optional) counts the exchanges whose answer was lost after the request was sent, and a
  // 2xx answer that is not JSON: the work they asked for may have been done.
  Result<nlohmann::json> Call(http::HttpRequest req, const CallContext& ctx,
                              const char* audited = nullptr, int* lost_answers = nullptr);

  LlamaParseConfig config_;
  LlamaParseDeps deps_;
  std::unique_ptr<http::HttpClient> owned_client_;
  std::unique_ptr<KeyRing> owned_keys_;
  KeyRing* keys_ = nullptr;
};

}  // namespace ingestd
