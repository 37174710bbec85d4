// EventJobRecorder reads the job's own events, which a store may hand back in any shape: a
// provider job id of another JSON type is no record, never an exception.
#include "pipeline/llamaparse_job_events.h"

#include <gtest/gtest.h>

#include "pipeline/pipeline_test_env.h"

namespace ingestd {
namespace {

class EventJobRecorderTest : public testing::PipelineTestEnv {
 protected:
  void AppendSubmitted(const Job& job, nlohmann::json provider_job_id) {
    Event e;
    e.job_id = job.id;
    e.correlation_id = job.correlation_id;
    e.type = "provider";
    e.code = "PARSE_SUBMITTED";
    e.stage = "parse";
    e.payload = {{"provider", "llamaparse"}, {"provider_job_id", std::move(provider_job_id)}};
    e.at_ms = clock_.NowMillis();
    ASSERT_TRUE(store_->AppendEvent(e).ok());
  }
};

TEST_F(EventJobRecorderTest, AProviderJobIdOfAnotherTypeIsNoRecord) {
  const Job job = Upload(testing::SyntheticPdf(1, "recorder"));
  const CallContext ctx{job.correlation_id, job.id, job.user_id};
  EventJobRecorder recorder(store_.get(), &clock_);
  AppendSubmitted(job, 5);
  auto found = recorder.Find(ctx);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_FALSE(found->has_value());
  ASSERT_TRUE(recorder.Record(ctx, "lp-1").ok());
  EXPECT_EQ(recorder.Find(ctx)->value_or(""), "lp-1");
  AppendSubmitted(job, nlohmann::json::array({"lp-2"}));  // the last word, unreadable
  found = recorder.Find(ctx);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_FALSE(found->has_value()) << "a retry uploads afresh";
}

}  // namespace
}  // namespace ingestd
