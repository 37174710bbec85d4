// Status and Result<T>: how every module reports failure across its boundary.
//
// A Status carries a Kind (which decides the HTTP status at the API edge), a stable
// machine-readable code such as "FILE_TOO_LARGE" (what clients and tests match on), a
// human message that is safe to show to the caller, and whether retrying may help.
// OK is cheap: no allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace ingestd {

enum class Kind {
  kOk,
  kInvalidArgument,     // 400
  kUnauthenticated,     // 401
  kPermissionDenied,    // 403
  kNotFound,            // 404
  kConflict,            // 409
  kPayloadTooLarge,     // 413
  kUnsupportedMedia,    // 415
  kUnprocessable,       // 422
  kRateLimited,         // 429
  kBudgetExceeded,      // 429
  kInternal,            // 500
  kUpstream,            // 502
  kUnavailable,         // 503
};

class Status {
 public:
  Status() = default;  // OK

  static Status Error(Kind kind, std::string code, std::string message, bool retryable = false) {
    return Status(kind, std::move(code), std::move(message), retryable);
  }
  static Status InvalidArgument(std::string code, std::string msg) {
    return Error(Kind::kInvalidArgument, std::move(code), std::move(msg));
  }
  static Status NotFound(std::string code, std::string msg) {
    return Error(Kind::kNotFound, std::move(code), std::move(msg));
  }
  static Status Conflict(std::string code, std::string msg) {
    return Error(Kind::kConflict, std::move(code), std::move(msg));
  }
  static Status Internal(std::string code, std::string msg) {
    return Error(Kind::kInternal, std::move(code), std::move(msg));
  }
  static Status Unavailable(std::string code, std::string msg) {
    return Error(Kind::kUnavailable, std::move(code), std::move(msg), true);
  }

  bool ok() const { return kind_ == Kind::kOk; }
  Kind kind() const { return kind_; }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  bool retryable() const { return retryable_; }
  std::string ToString() const { return ok() ? "OK" : code_ + ": " + message_; }

  // An upstream's hint (Retry-After and the like) for when a retry may succeed; callers that
  // schedule retries wait at least this long. Unset for most errors.
  std::optional<int64_t> retry_after_ms() const { return retry_after_ms_; }
  Status WithRetryAfterMs(int64_t ms) const {
    Status s = *this;
    s.retry_after_ms_ = ms;
    return s;
  }

 private:
  Status(Kind kind, std::string code, std::string message, bool retryable)
      : kind_(kind), code_(std::move(code)), message_(std::move(message)), retryable_(retryable) {}

  Kind kind_ = Kind::kOk;
  std::string code_;
  std::string message_;
  bool retryable_ = false;
  std::optional<int64_t> retry_after_ms_;
};

// A value or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: must not be OK

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace ingestd
