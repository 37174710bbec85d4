// FakeLlamaParseServer: an in-process stand-in for LlamaParse's parsing API (DESIGN.md §7)
// on a free loopback port: bearer auth, multipart upload → {"id","status"}, job status
// (PENDING for `pending_polls` polls, then the job's outcome), markdown result with
// job_metadata.job_pages and job_is_cache_hit (a re-upload of the same bytes is a cache
// hit), FastAPI-style {"detail"} errors; an unknown job id answers 404 (the health probe's
// healthy answer). Faults are scripted per upload and per result fetch. Thread-safe.
//
// Billing follows the provider's contract: credits are billed per page parsed, and a file
// parsed again within 48 hours is a cache hit that is not charged again
// (https://developers.llamaindex.ai/llamaparse/general/faq/ "How do credits work?", "Are the
// documents stored or cached"). So a job is billed its pages when it has run to SUCCESS —
// whether or not anybody fetched the result, or even learnt the job's id — and result
// fetches and status polls are free. billed_pages() sums what the fake billed.
//
// Job statuses are the API's StatusEnum, PENDING | SUCCESS | ERROR | PARTIAL_SUCCESS |
// CANCELLED (run-llama/llama-cloud-py @2df80fa src/llama_cloud/types/status_enum.py); a
// failed job's status carries error_code and error_message (run-llama/llama_cloud_services
// @c872617 llama_cloud_services/parse/base.py _get_job_result). A PARTIAL_SUCCESS job has a
// result of the pages it parsed (kPartialPages), and bills them. An account out of credits
// is answered 402 on requests that consume credits (the FAQ above, "What happens when I run
// out of credits?").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ingestd::fakes {

enum class ParseOutcome { kSuccess, kPartialSuccess, kError, kCancelled, kNeverFinishes };

// Faults of an upload or a result fetch. kCutAnswer and kSlowAnswer serve the request (an
// upload creates its job, which runs and is billed) and then lose the answer: cut half-way,
// or sent only after hang_ms (to a client that timed out first). kOutOfCredits: 402.
enum class UploadFault { kNone, kRateLimit, kServerError, kCutAnswer, kSlowAnswer, kOutOfCredits };

// How the fake delivers the completion webhook a job asked for (webhook_configurations).
enum class WebhookDelivery { kNone, kOnce, kTwice /* a redelivery: same event_id */ };

struct FakeLlamaParseOptions {
  std::string api_key = "llx-fake-0123456789abcdef";
  int pending_polls = 2;  // status polls answered PENDING before the outcome
  // >= 0: jobs finish this long after upload regardless of polls (then webhooks go out,
  // webhook_delay_ms later); < 0: polls alone decide, and no webhook is sent.
  int64_t complete_after_ms = -1;
  WebhookDelivery webhooks = WebhookDelivery::kNone;
  int64_t webhook_delay_ms = 0;
  int64_t hang_ms = 1'000;  // how long kSlowAnswer waits
  int port = 0;             // 0: a free loopback port
};

struct FakeParseJob {
  std::string id;
  std::string filename;
  std::string sha256;  // of the uploaded file's bytes
  std::string tier;
  std::string webhook_configurations;  // the form field as sent (JSON), if any
  ParseOutcome outcome = ParseOutcome::kSuccess;
  int polls = 0;
  bool cache_hit = false;
  bool finished = false;  // complete_after_ms elapsed
  bool billed = false;    // ran to (PARTIAL_)SUCCESS, not a cache hit: PagesOf(outcome) billed
  std::vector<long> webhook_statuses;  // HTTP status of each delivery (0: transport error)
};

// One request as the fake saw it (every endpoint, in arrival order).
struct FakeLlamaParseRequest {
  std::string method;
  std::string target;
  std::string authorization;  // the header as sent
  int status = 0;             // what the fake answered
  std::string traceparent;    // W3C trace context headers as sent ("" when absent)
  std::string tracestate;
};

class FakeLlamaParseServer {
 public:
  explicit FakeLlamaParseServer(FakeLlamaParseOptions options = {});
  ~FakeLlamaParseServer();
  FakeLlamaParseServer(const FakeLlamaParseServer&) = delete;
  FakeLlamaParseServer& operator=(const FakeLlamaParseServer&) = delete;

  std::string base_url() const;
  // Outcomes for the next uploads, in order (kSuccess once the queue is empty).
  void PushOutcome(ParseOutcome outcome);
  // Faults answered to the next upload requests, in order, instead of accepting them.
  void PushUploadFault(UploadFault fault);
  // Faults for the next result fetches (of a finished job), in order.
  void PushResultFault(UploadFault fault);
  // Called on the connection thread just before each successful result answer is sent: a
  // test may stop the client there (between the provider's answer and the settle).
  void SetBeforeResult(std::function<void()> hook);
  // The pages of every billed job.
  int64_t billed_pages() const;
  // An outage: while set (not kNone), every request, status polls and health probes
  // included, answers with this fault. kNone ends it.
  void SetOutage(UploadFault fault);
  // A provider answering outside its contract: while set (not ""), every 200 JSON answer
  // (upload, status, result) has this RFC 7386 merge patch applied, e.g. {"status": 7} or
  // {"job_metadata": {"job_pages": "3"}}. "" ends it.
  void SetAnswerPatch(const std::string& merge_patch);
  // Keys accepted besides options.api_key; a revoked one is answered 401
  // {"detail":"Invalid authentication token"} on every endpoint. AddKey admits it again.
  void AddKey(const std::string& key);
  void RevokeKey(const std::string& key);
  std::vector<FakeLlamaParseRequest> requests() const;
  int uploads_accepted() const;
  int requests_seen() const;
  // With complete_after_ms >= 0: the most jobs that were uploaded and not yet finished at
  // once (how many parses a client had in flight concurrently).
  int max_in_flight() const;
  std::vector<FakeParseJob> jobs() const;
  // The markdown answered for a file whose bytes have this SHA-256 (hex), instead of
  // MarkdownFor's: the parse of a real document a test prepared, e.g. an edited one.
  void SetMarkdown(const std::string& sha256, std::string markdown);

  // What the fake answers as markdown and page count for an accepted file (a partial
  // success: its first kPartialPages pages).
  static std::string MarkdownFor(const std::string& filename, const std::string& sha256,
                                 int pages = kPages);
  static constexpr int kPages = 3;
  static constexpr int kPartialPages = 2;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingestd::fakes
