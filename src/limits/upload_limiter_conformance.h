// The UploadLimiter conformance suite: the contract of upload_limiter.h as value-
// parameterized tests (FakeClock-driven) that every backend runs. A backend's test file
// instantiates it:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, UploadLimiterConformanceTest,
//                            ::testing::Values(LimiterBackend{"sqlite", NewUrl, DropUrl}),
//                            LimiterBackendName);
//
// and links the ingestd_limits_conformance object library (CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "limits/upload_limiter.h"

namespace ingestd::limits {

struct LimiterBackend {
  std::string name;
  // The URL (for OpenUploadLimiter) of a new, empty database used by one test.
  std::function<std::string()> new_database_url;
  // Removes what new_database_url created.
  std::function<void(const std::string& url)> drop_database;
};

std::string LimiterBackendName(const ::testing::TestParamInfo<LimiterBackend>& info);

class UploadLimiterConformanceTest : public ::testing::TestWithParam<LimiterBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A limiter on this test's database (each call another handle: another process).
  std::unique_ptr<UploadLimiter> Open(const UploadLimits& limits,
                                      const BucketKind& kind = kUploadBuckets);

  FakeClock clock_;
  std::string url_;
};

}  // namespace ingestd::limits
