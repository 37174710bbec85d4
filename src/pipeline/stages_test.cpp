#include "pipeline/stages.h"

#include <gtest/gtest.h>

namespace ingestd {
namespace {

TEST(StageFor, EveryPipelineStatusHasItsStage) {
  EXPECT_EQ(StageFor(JobStatus::kUploaded), Stage::kParse);
  EXPECT_EQ(StageFor(JobStatus::kParseQueued), Stage::kParse);
  EXPECT_EQ(StageFor(JobStatus::kParseSubmitted), Stage::kParse);
  EXPECT_EQ(StageFor(JobStatus::kParsed), Stage::kValidate);
  EXPECT_EQ(StageFor(JobStatus::kParseValidated), Stage::kChunk);
  EXPECT_EQ(StageFor(JobStatus::kChunking), Stage::kChunk);
  EXPECT_EQ(StageFor(JobStatus::kChunksStored), Stage::kEmbed);
  EXPECT_EQ(StageFor(JobStatus::kEmbeddingQueued), Stage::kEmbed);
  EXPECT_EQ(StageFor(JobStatus::kEmbeddingInProgress), Stage::kEmbed);
  EXPECT_EQ(StageFor(JobStatus::kEmbeddingsStored), Stage::kFinalize);
  EXPECT_EQ(StageFor(JobStatus::kAwaitingUpload), std::nullopt);
  EXPECT_EQ(StageFor(JobStatus::kComplete), std::nullopt);
}

TEST(StageFor, EachStageEndsWhereTheNextBegins) {
  // Following done_status from "uploaded" visits every stage once and ends at complete.
  JobStatus status = JobStatus::kUploaded;
  std::vector<std::string_view> names;
  while (auto stage = StageFor(status)) {
    const StageInfo& info = Info(*stage);
    if (info.entry_status) {
      EXPECT_EQ(StageFor(*info.entry_status), stage);
    }
    names.push_back(info.name);
    status = info.done_status;
  }
  EXPECT_EQ(status, JobStatus::kComplete);
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"parse", "validate", "chunk", "embed", "finalize"}));
}

TEST(NormalizeMarkdown, StripsNulsNormalizesLineEndsAndTrims) {
  EXPECT_EQ(NormalizeMarkdown(std::string("\r\n  # A\r\nb\0c\rd\n\n\t ", 18)), "# A\nbc\nd");
  EXPECT_EQ(NormalizeMarkdown(std::string(" \0\r\n", 4)), "");
  EXPECT_EQ(NormalizeMarkdown("# A\n\ntext"), "# A\n\ntext");
}

TEST(ValidatePipelineOptions, DefaultsAreValidAndBadFieldsAreNamed) {
  EXPECT_TRUE(ValidatePipelineOptions({}).ok());
  PipelineOptions o;
  EXPECT_EQ(o.EffectiveHeartbeatMs(), 10000);
  o.workers = 0;
  Status s = ValidatePipelineOptions(o);
  EXPECT_EQ(s.code(), "PIPELINE_OPTIONS_INVALID");
  EXPECT_NE(s.message().find("workers"), std::string::npos);
  o = {};
  o.heartbeat_interval_ms = o.lease_ms;
  EXPECT_FALSE(ValidatePipelineOptions(o).ok());
  o = {};
  o.embed_batch_size = 0;
  EXPECT_FALSE(ValidatePipelineOptions(o).ok());
  o = {};
  o.backoff.max_delay_ms = 10;
  EXPECT_FALSE(ValidatePipelineOptions(o).ok());
}

}  // namespace
}  // namespace ingestd
