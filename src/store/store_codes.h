// Stable codes the Store contract promises (store.h), shared by every backend and by
// callers that match on them.
#pragma once

#include "core/status.h"

namespace ingestd::store_codes {

// Events the store itself writes.
inline constexpr char kUploadAccepted[] = "UPLOAD_ACCEPTED";    // CreateUpload, new document
inline constexpr char kUploadDedupHit[] = "UPLOAD_DEDUP_HIT";   // CreateUpload, duplicate
inline constexpr char kUploadCompleted[] = "UPLOAD_COMPLETED";  // CompleteUpload
inline constexpr char kRetryScheduled[] = "RETRY_SCHEDULED";    // ScheduleRetry
inline constexpr char kDlqMoved[] = "DLQ_MOVED";                // DeadLetter
inline constexpr char kRetryRequested[] = "RETRY_REQUESTED";    // RequeueJob

// Event types (Event::type) of those events.
inline constexpr char kTypeUpload[] = "upload";
inline constexpr char kTypeRetry[] = "retry";
inline constexpr char kTypeError[] = "error";

inline Status JobNotFound() { return Status::NotFound("JOB_NOT_FOUND", "job not found"); }
inline Status DocumentNotFound() {
  return Status::NotFound("DOCUMENT_NOT_FOUND", "document not found");
}
inline Status LeaseLost() {
  return Status::Conflict("LEASE_LOST", "the job is no longer claimed by this worker");
}
inline Status UploadAlreadyCompleted() {
  return Status::Conflict("UPLOAD_ALREADY_COMPLETED", "the upload was already completed");
}
inline Status JobNotRetryable() {
  return Status::Conflict("JOB_NOT_RETRYABLE", "only failed or retrying jobs can be retried");
}
inline Status ActiveJobsLimitExceeded(int max_active_jobs) {
  return Status::Error(Kind::kRateLimited, "ACTIVE_JOBS_LIMIT_EXCEEDED",
                       "you already have " + std::to_string(max_active_jobs) +
                           " active jobs, the most allowed; wait for one to finish",
                       /*retryable=*/true);
}
inline Status SigninCodeExists() {
  return Status::Conflict("SIGNIN_CODE_EXISTS", "a sign-in code with this hash exists");
}
inline Status InvalidRecord(std::string message) {
  return Status::InvalidArgument("INVALID_STORE_RECORD", std::move(message));
}

}  // namespace ingestd::store_codes
