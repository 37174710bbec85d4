// JobJson over stored timings in any shape: only integer milliseconds are formatted as
// RFC 3339; anything else is shown as stored, never converted (a float beyond int64 would
// be undefined to convert) and never an exception.
#include "api/views.h"

#include <gtest/gtest.h>

namespace ingestd::api {
namespace {

TEST(JobJson, OnlyIntegerMillisecondTimingsAreFormatted) {
  Job job;
  job.timings = {{"parse", {{"started_at", 1'700'000'000'000}, {"finished_at", 1.5}, {"ms", 3}}},
                 {"chunk", {{"started_at", 1e300}, {"finished_at", "soon"}}},
                 {"embed", 5}};
  const nlohmann::json t = JobJson(job)["timings"];
  EXPECT_EQ(t["parse"]["started_at"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(t["parse"]["finished_at"], 1.5);
  EXPECT_EQ(t["parse"]["ms"], 3);
  EXPECT_EQ(t["chunk"]["started_at"], 1e300);
  EXPECT_EQ(t["chunk"]["finished_at"], "soon");
  EXPECT_EQ(t["embed"], 5);
}

}  // namespace
}  // namespace ingestd::api
