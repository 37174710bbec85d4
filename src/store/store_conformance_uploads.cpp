// Conformance: migrations, uploads (dedupe, two-step), events, deletes, user retries.
#include <atomic>
#include <thread>

#include "core/ids.h"
#include "store/store_conformance.h"

namespace ingestd {
namespace {

using ::testing::ElementsAre;

TEST_P(StoreConformanceTest, MigrateTwiceIsHarmless) {
  ASSERT_TRUE(store_->Migrate().ok());
  ASSERT_TRUE(store_->Migrate().ok());
  EXPECT_TRUE(store_->Ping().ok());
  Upload("u1", kT0);
  EXPECT_TRUE(store_->Migrate().ok());  // and keeps data
  EXPECT_EQ(store_->ListJobs("u1", {})->size(), 1u);
}

TEST_P(StoreConformanceTest, CreateUploadStoresDocumentJobAndEvent) {
  Document doc = MakeDocument("u1");
  Job job = MakeJob(doc);
  auto r = store_->CreateUpload(doc, job, kT0 + 5);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->duplicate);
  EXPECT_EQ(r->document.id, doc.id);
  EXPECT_EQ(r->job.id, job.id);

  auto got_doc = store_->GetDocument("u1", doc.id);
  ASSERT_TRUE(got_doc.ok());
  EXPECT_EQ(got_doc->filename, "report.pdf");
  EXPECT_EQ(got_doc->mime, "application/pdf");
  EXPECT_EQ(got_doc->size_bytes, 1234);
  EXPECT_EQ(got_doc->sha256, doc.sha256);
  EXPECT_EQ(got_doc->page_count, -1);
  EXPECT_EQ(got_doc->created_at_ms, kT0 + 5);

  auto got_job = store_->GetJob("u1", job.id);
  ASSERT_TRUE(got_job.ok());
  EXPECT_EQ(got_job->document_id, doc.id);
  EXPECT_EQ(got_job->status, JobStatus::kUploaded);
  EXPECT_EQ(got_job->state, QueueState::kQueued);
  EXPECT_EQ(got_job->correlation_id, job.correlation_id);
  EXPECT_EQ(got_job->service_mode, "mock");
  EXPECT_EQ(got_job->retry_count, 0);
  EXPECT_FALSE(got_job->last_error.has_value());
  EXPECT_TRUE(got_job->timings.is_object());
  EXPECT_EQ(got_job->created_at_ms, kT0 + 5);
  EXPECT_EQ(got_job->updated_at_ms, kT0 + 5);

  auto events = store_->ListEvents("u1", job.id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].code, "UPLOAD_ACCEPTED");
  EXPECT_EQ((*events)[0].correlation_id, job.correlation_id);
  EXPECT_GT((*events)[0].id, 0);
  EXPECT_EQ((*events)[0].at_ms, kT0 + 5);
}

TEST_P(StoreConformanceTest, AJobKeepsItsTraceContextForEveryClaim) {
  Document doc = MakeDocument("u1");
  Job job = MakeJob(doc);
  job.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  job.tracestate = "congo=t61rcWkgMzE";
  ASSERT_TRUE(store_->CreateUpload(doc, job, kT0).ok());
  auto got = store_->GetJob("u1", job.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->traceparent, job.traceparent);
  EXPECT_EQ(got->tracestate, job.tracestate);
  auto claimed = store_->ClaimNext("w1", kT0 + 1, 30'000);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  EXPECT_EQ((*claimed)->traceparent, job.traceparent);
  EXPECT_EQ((*claimed)->tracestate, job.tracestate);
}

TEST_P(StoreConformanceTest, SameUserSameBytesIsDeduplicated) {
  Document first = MakeDocument("u1");
  Job first_job = MakeJob(first);
  ASSERT_TRUE(store_->CreateUpload(first, first_job, kT0).ok());

  Document again = MakeDocument("u1", first.sha256);
  Job again_job = MakeJob(again);
  auto r = store_->CreateUpload(again, again_job, kT0 + 1);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->duplicate);
  EXPECT_EQ(r->document.id, first.id);
  EXPECT_EQ(r->job.id, first_job.id);
  EXPECT_EQ(store_->GetDocument("u1", again.id).status().code(), "DOCUMENT_NOT_FOUND");
  EXPECT_EQ(store_->GetJob("u1", again_job.id).status().code(), "JOB_NOT_FOUND");
  EXPECT_THAT(EventCodes("u1", first_job.id), ElementsAre("UPLOAD_ACCEPTED", "UPLOAD_DEDUP_HIT"));
  EXPECT_EQ(store_->ListJobs("u1", {})->size(), 1u);
}

TEST_P(StoreConformanceTest, SameBytesOfAnotherUserIsNotADuplicate) {
  Document a = MakeDocument("alice");
  ASSERT_TRUE(store_->CreateUpload(a, MakeJob(a), kT0).ok());
  Document b = MakeDocument("bob", a.sha256);
  auto r = store_->CreateUpload(b, MakeJob(b), kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->duplicate);
  EXPECT_EQ(r->document.id, b.id);
  EXPECT_TRUE(store_->GetDocument("bob", b.id).ok());
}

TEST_P(StoreConformanceTest, ConcurrentIdenticalUploadsYieldOneDocument) {
  constexpr int kThreads = 8;
  const std::string sha = MakeDocument("u1").sha256;
  std::atomic<int> duplicates{0}, created{0}, failed{0};
  std::vector<std::string> doc_ids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Document d = MakeDocument("u1", sha);
      auto r = store_->CreateUpload(d, MakeJob(d), kT0 + i);
      if (!r.ok()) {
        ++failed;
        return;
      }
      (r->duplicate ? duplicates : created)++;
      doc_ids[i] = r->document.id;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(duplicates.load(), kThreads - 1);
  for (const std::string& id : doc_ids) EXPECT_EQ(id, doc_ids[0]);
  auto jobs = store_->ListJobs("u1", {});
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ(EventCodes("u1", (*jobs)[0].id).size(), static_cast<size_t>(kThreads));
}

TEST_P(StoreConformanceTest, CreateUploadRejectsMissingIds) {
  Document d = MakeDocument("u1");
  Job j = MakeJob(d);
  d.id.clear();
  EXPECT_EQ(store_->CreateUpload(d, j, kT0).status().kind(), Kind::kInvalidArgument);
}

TEST_P(StoreConformanceTest, CompleteUploadQueuesTheJobOnce) {
  CreateUploadResult up = Upload("u1", kT0, JobStatus::kAwaitingUpload);
  EXPECT_EQ(store_->GetJob("u1", up.job.id)->status, JobStatus::kAwaitingUpload);
  const std::string key = "documents/" + up.document.id + ".pdf";
  ASSERT_TRUE(store_->CompleteUpload(up.job.id, key, kT0 + 10).ok());
  auto job = store_->GetJob("u1", up.job.id);
  EXPECT_EQ(job->status, JobStatus::kUploaded);
  EXPECT_EQ(job->state, QueueState::kQueued);
  EXPECT_EQ(job->updated_at_ms, kT0 + 10);
  EXPECT_EQ(store_->GetDocument("u1", up.document.id)->blob_key, key);
  EXPECT_THAT(EventCodes("u1", up.job.id), ElementsAre("UPLOAD_ACCEPTED", "UPLOAD_COMPLETED"));

  Status again = store_->CompleteUpload(up.job.id, key, kT0 + 11);
  EXPECT_EQ(again.kind(), Kind::kConflict);
  EXPECT_EQ(again.code(), "UPLOAD_ALREADY_COMPLETED");
  EXPECT_EQ(store_->CompleteUpload(NewUuidV4(), key, kT0).code(), "JOB_NOT_FOUND");
}

TEST_P(StoreConformanceTest, CompleteUploadOfAnOrdinaryJobConflicts) {
  CreateUploadResult up = Upload("u1", kT0);  // already uploaded
  EXPECT_EQ(store_->CompleteUpload(up.job.id, "documents/x.pdf", kT0).code(),
            "UPLOAD_ALREADY_COMPLETED");
  EXPECT_EQ(store_->GetDocument("u1", up.document.id)->blob_key, "");
}

TEST_P(StoreConformanceTest, AppendEventAssignsIncreasingIds) {
  CreateUploadResult up = Upload("u1", kT0);
  for (int i = 0; i < 5; ++i) {
    Event e;
    e.job_id = up.job.id;
    e.correlation_id = up.job.correlation_id;
    e.type = "stage_done";
    e.code = "CODE_" + std::to_string(i);
    e.stage = "parse";
    e.payload = {{"i", i}, {"nested", {{"ok", true}}}};
    e.at_ms = kT0 + i;
    ASSERT_TRUE(store_->AppendEvent(e).ok());
  }
  auto events = store_->ListEvents("u1", up.job.id);
  ASSERT_EQ(events->size(), 6u);
  for (size_t i = 1; i < events->size(); ++i) {
    EXPECT_GT((*events)[i].id, (*events)[i - 1].id);
    EXPECT_EQ((*events)[i].code, "CODE_" + std::to_string(i - 1));
    EXPECT_EQ((*events)[i].payload["i"], static_cast<int>(i - 1));
    EXPECT_EQ((*events)[i].payload["nested"]["ok"], true);
    EXPECT_EQ((*events)[i].stage, "parse");
    EXPECT_EQ((*events)[i].type, "stage_done");
  }
  EXPECT_EQ(store_->ListEvents("someone-else", up.job.id).status().code(), "JOB_NOT_FOUND");
}

TEST_P(StoreConformanceTest, DeleteDocumentRemovesOnlyThatDocument) {
  CreateUploadResult keep = Upload("u1", kT0);
  CreateUploadResult gone = Upload("u1", kT0 + 1, JobStatus::kAwaitingUpload);
  const std::string key = "documents/" + gone.document.id + ".pdf";
  ASSERT_TRUE(store_->CompleteUpload(gone.job.id, key, kT0 + 2).ok());
  for (int i = 0; i < 2; ++i) {  // both jobs get chunks and vectors
    Job job = MustClaim("w1", kT0 + 3);
    StageCommit c;
    c.job_id = job.id;
    c.worker_id = "w1";
    c.to = JobStatus::kEmbeddingsStored;
    c.chunks = MakeChunks(job.document_id, 3);
    for (const Chunk& ch : *c.chunks) c.vectors.push_back(MakeVector(ch, "m", {1, 2}));
    c.now_ms = kT0 + 4;
    ASSERT_TRUE(store_->CommitStage(c).ok());
  }
  EXPECT_EQ(store_->DeleteDocument("intruder", gone.document.id).status().code(),
            "DOCUMENT_NOT_FOUND");

  auto keys = store_->DeleteDocument("u1", gone.document.id);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_THAT(*keys, ElementsAre(key, "markdown/" + gone.document.id + ".md"));
  EXPECT_EQ(store_->GetDocument("u1", gone.document.id).status().code(), "DOCUMENT_NOT_FOUND");
  EXPECT_EQ(store_->GetJobUnscoped(gone.job.id).status().code(), "JOB_NOT_FOUND");
  EXPECT_EQ(*store_->CountChunks(gone.document.id), 0);
  EXPECT_EQ(*store_->CountVectors(gone.document.id), 0);
  EXPECT_FALSE(store_->FindJobForDocument(gone.document.id)->has_value());

  EXPECT_TRUE(store_->GetDocument("u1", keep.document.id).ok());
  EXPECT_TRUE(store_->GetJob("u1", keep.job.id).ok());
  EXPECT_EQ(*store_->CountChunks(keep.document.id), 3);
  EXPECT_EQ(*store_->CountVectors(keep.document.id), 3);
  EXPECT_EQ(EventCodes("u1", keep.job.id).size(), 1u);
  EXPECT_EQ(store_->DeleteDocument("u1", gone.document.id).status().code(), "DOCUMENT_NOT_FOUND");

  // Without stored bytes only the markdown key is returned.
  CreateUploadResult bare = Upload("u1", kT0 + 5);
  EXPECT_THAT(*store_->DeleteDocument("u1", bare.document.id),
              ElementsAre("markdown/" + bare.document.id + ".md"));
}

TEST_P(StoreConformanceTest, DeletedDocumentCanBeUploadedAgain) {
  CreateUploadResult up = Upload("u1", kT0);
  ASSERT_TRUE(store_->DeleteDocument("u1", up.document.id).ok());
  Document again = MakeDocument("u1", up.document.sha256);
  auto r = store_->CreateUpload(again, MakeJob(again), kT0 + 1);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->duplicate);
}

TEST_P(StoreConformanceTest, RequeueJobOnlyFromDeadletterOrRetryable) {
  CreateUploadResult up = Upload("u1", kT0);
  EXPECT_EQ(store_->RequeueJob("u1", up.job.id, kT0).status().code(), "JOB_NOT_RETRYABLE");
  Job job = MustClaim("w1", kT0 + 1);
  EXPECT_EQ(store_->RequeueJob("u1", job.id, kT0).status().code(), "JOB_NOT_RETRYABLE");
  ASSERT_TRUE(
      store_
          ->ScheduleRetry(job.id, "w1", kT0 + 100, {"TIMEOUT", "slow", "parse", kT0}, kT0 + 2, true)
          .ok());
  MustClaim("w1", kT0 + 100);
  ASSERT_TRUE(
      store_->DeadLetter(job.id, "w1", {"BAD_PDF", "broken", "parse", kT0 + 101}, kT0 + 101).ok());
  EXPECT_EQ(store_->RequeueJob("intruder", job.id, kT0).status().code(), "JOB_NOT_FOUND");

  auto requeued = store_->RequeueJob("u1", job.id, kT0 + 200);
  ASSERT_TRUE(requeued.ok()) << requeued.status().ToString();
  EXPECT_EQ(requeued->state, QueueState::kQueued);
  EXPECT_EQ(requeued->retry_count, 0);
  EXPECT_EQ(requeued->claimed_by, "");
  EXPECT_FALSE(requeued->last_error.has_value());
  EXPECT_EQ(requeued->updated_at_ms, kT0 + 200);
  EXPECT_EQ(store_->GetJob("u1", job.id)->state, QueueState::kQueued);
  EXPECT_THAT(EventCodes("u1", job.id),
              ElementsAre("UPLOAD_ACCEPTED", "RETRY_SCHEDULED", "DLQ_MOVED", "RETRY_REQUESTED"));
  EXPECT_EQ(MustClaim("w2", kT0 + 201).id, job.id);
  EXPECT_EQ(store_->RequeueJob("u1", job.id, kT0).status().code(), "JOB_NOT_RETRYABLE");
}

TEST_P(StoreConformanceTest, RequeueJobOfARetryableJobSkipsTheBackoff) {
  CreateUploadResult up = Upload("u1", kT0);
  MustClaim("w1", kT0);
  ASSERT_TRUE(
      store_->ScheduleRetry(up.job.id, "w1", kT0 + 60'000, {"E", "m", "embed", kT0}, kT0, true)
          .ok());
  EXPECT_FALSE(store_->ClaimNext("w1", kT0 + 1, kLeaseMs)->has_value());
  ASSERT_TRUE(store_->RequeueJob("u1", up.job.id, kT0 + 1).ok());
  EXPECT_EQ(MustClaim("w1", kT0 + 1).id, up.job.id);
}

}  // namespace
}  // namespace ingestd
