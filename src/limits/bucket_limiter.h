// BucketLimiter: the backend-independent half of an UploadLimiter. A backend runs the
// statements of bucket_sql.h on its kind's table; this class decides what they mean (refusal
// codes and Retry-After, what Peek shows).
#pragma once

#include <optional>
#include <string_view>

#include "limits/upload_limiter.h"

namespace ingestd::limits {

// A user's row of a bucket table.
struct StoredBuckets {
  int64_t minute_units = 0;
  int64_t day_units = 0;
  int64_t updated_ms = 0;
};

// The buckets of a stored row (nullopt: a user who never uploaded, full buckets) at now_ms.
UploadAllowance AllowanceOf(const std::optional<StoredBuckets>& row, const UploadLimits& limits,
                            int64_t now_ms);

class BucketLimiter : public UploadLimiter {
 public:
  Status Take(std::string_view user_id) override;
  Status Refund(std::string_view user_id) override;
  Result<UploadAllowance> Peek(std::string_view user_id) override;
  const UploadLimits& limits() const override { return limits_; }
  const BucketKind& kind() const { return kind_; }

 protected:
  // clock must outlive the limiter.
  BucketLimiter(const UploadLimits& limits, Clock* clock, const BucketKind& kind)
      : limits_(limits), clock_(clock), kind_(kind) {}

  // TakeSql / RefundSql / SelectSql with their parameters bound (see bucket_sql.h).
  virtual Result<bool> RunTake(std::string_view user_id, int64_t now_ms) = 0;
  virtual Status RunRefund(std::string_view user_id, int64_t now_ms) = 0;
  virtual Result<std::optional<StoredBuckets>> Select(std::string_view user_id) = 0;

 private:
  const UploadLimits limits_;
  Clock* const clock_;
  const BucketKind kind_;
};

}  // namespace ingestd::limits
