// EventJobRecorder: ProviderJobRecorder on the job's own event log (Store::AppendEvent /
// ListEvents), so a submitted LlamaParse job id is as durable as our job and needs no new
// table: PARSE_SUBMITTED {provider, provider_job_id} is appended right after the upload is
// accepted; PARSE_SUBMISSION_CLOSED after a final failure, so a user retry uploads afresh
// instead of resuming a job that failed. Thread-safe if the Store is.
#pragma once

#include "core/clock.h"
#include "services/llamaparse_parser.h"
#include "store/store.h"

namespace ingestd {

// The event that ends a submission (a retry uploads afresh).
inline constexpr char kParseSubmissionClosedCode[] = "PARSE_SUBMISSION_CLOSED";

class EventJobRecorder final : public ProviderJobRecorder {
 public:
  // store and clock are not owned and must outlive the recorder.
  EventJobRecorder(Store* store, const Clock* clock) : store_(store), clock_(clock) {}
  Result<std::optional<std::string>> Find(const CallContext& ctx) override;
  Status Record(const CallContext& ctx, const std::string& provider_job_id) override;
  Status Close(const CallContext& ctx, const std::string& provider_job_id) override;
  Result<int> CountNotices(const CallContext& ctx) override;
  Result<int64_t> RecordedAtMs(const CallContext& ctx) override;

 private:
  Status Append(const CallContext& ctx, const char* code, const std::string& id);
  Store* store_;
  const Clock* clock_;
};

}  // namespace ingestd
