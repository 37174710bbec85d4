// Conformance: what a job records about its priority, cost and routing (migration v4):
// claim order by processing_priority, the upload-time fields round-tripping, and
// RecordRoute's atomic accumulation.
#include <thread>

#include "core/ids.h"

#include "store/store_conformance.h"

namespace ingestd {
namespace {

// CreateUpload of a fresh runnable job of user u1 with the given priority; its id.
std::string UploadWithPriority(Store& store, int64_t at, int priority) {
  Document doc;
  doc.id = NewUuidV4();
  doc.user_id = "u1";
  doc.filename = "p.pdf";
  doc.mime = "application/pdf";
  doc.size_bytes = 1;
  doc.sha256 = NewUuidV4();
  Job job;
  job.id = NewUuidV4();
  job.status = JobStatus::kUploaded;
  job.correlation_id = NewUuidV4();
  job.processing_priority = priority;
  auto r = store.CreateUpload(doc, job, at);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->job.id : std::string();
}

TEST_P(StoreConformanceTest, ClaimTakesTheHighestPriorityThenTheOldest) {
  auto make = [&](int64_t at, int priority) { return UploadWithPriority(*store_, at, priority); };
  std::string old_low = make(kT0 + 1, -5);
  std::string old_default = make(kT0 + 2, 0);
  std::string new_high = make(kT0 + 5, 10);
  std::string old_high = make(kT0 + 3, 10);
  std::string new_default = make(kT0 + 4, 0);
  std::vector<std::string> order;
  for (int i = 0; i < 5; ++i) order.push_back(MustClaim("w1", kT0 + 10).id);
  EXPECT_EQ(order,
            (std::vector<std::string>{old_high, new_high, old_default, new_default, old_low}));
}

TEST_P(StoreConformanceTest, PriorityOrdersDueRetriesToo) {
  auto make = [&](int64_t at, int priority) { return UploadWithPriority(*store_, at, priority); };
  std::string low = make(kT0, -1);
  std::string high = make(kT0 + 1, 50);
  // Both fail once and become due at the same time: the higher priority is retried first.
  for (const std::string& id : {high, low}) {
    EXPECT_EQ(MustClaim("w1", kT0 + 2).id, id);
    ASSERT_TRUE(store_->ScheduleRetry(id, "w1", kT0 + 100, kParseTimeout, kT0 + 3, true).ok());
  }
  EXPECT_EQ(MustClaim("w2", kT0 + 100).id, high);
  EXPECT_EQ(MustClaim("w2", kT0 + 100).id, low);
}

TEST_P(StoreConformanceTest, UploadTimeJobFieldsRoundTrip) {
  Document doc = MakeDocument("u1");
  Job job = MakeJob(doc);
  job.processing_priority = 42;
  job.router_config = {{"parse", {{"mode", "hybrid"}, {"fallback", "local"}}},
                       {"embed", {{"mode", "real"}, {"implementation", "real"}}},
                       {"breaker", {{"failure_threshold", 5}, {"open_ms", 30000}}}};
  job.cost_estimate = {
      {"parse_nanos", 3'750'000}, {"embed_nanos", 12'345}, {"total_nanos", 3'762'345}};
  job.service_health = {{"parse", {{"breaker", "closed"}}}, {"embed", {{"breaker", "open"}}}};
  job.cost_tracking_enabled = true;
  ASSERT_TRUE(store_->CreateUpload(doc, job, kT0).ok());
  auto stored = store_->GetJob("u1", job.id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->processing_priority, 42);
  EXPECT_EQ(stored->router_config, job.router_config);
  EXPECT_EQ(stored->cost_estimate, job.cost_estimate);
  EXPECT_EQ(stored->service_health, job.service_health);
  EXPECT_TRUE(stored->cost_tracking_enabled);
  EXPECT_FALSE(stored->fallback_triggered);
  EXPECT_EQ(stored->actual_parse_cost_nanos, 0);
  EXPECT_EQ(stored->actual_embed_cost_nanos, 0);
  EXPECT_EQ(stored->stage_routes, nlohmann::json::object());
  // A claim returns the same fields.
  Job claimed = MustClaim("w1", kT0 + 1);
  EXPECT_EQ(claimed.cost_estimate, job.cost_estimate);
  EXPECT_EQ(claimed.processing_priority, 42);

  // Defaults: a job created without any of them.
  CreateUploadResult plain = Upload("u1", kT0);
  auto defaults = store_->GetJob("u1", plain.job.id);
  EXPECT_EQ(defaults->processing_priority, 0);
  EXPECT_FALSE(defaults->cost_tracking_enabled);
  EXPECT_EQ(defaults->router_config, nlohmann::json::object());
}

TEST_P(StoreConformanceTest, RecordRouteAccumulatesCostFallbackAndStageRoutes) {
  CreateUploadResult up = Upload("u1", kT0);
  const std::string& id = up.job.id;
  ASSERT_TRUE(
      store_->RecordRoute(id, {"parse", "hybrid", "real", "real", false, 1'250'000}, kT0 + 1).ok());
  ASSERT_TRUE(
      store_->RecordRoute(id, {"embed", "hybrid", "real", "real", false, 400}, kT0 + 2).ok());
  ASSERT_TRUE(store_
                  ->RecordRoute(
                      id, {"embed", "hybrid", "mock", "real_failed:UPSTREAM_5XX", true, 0}, kT0 + 3)
                  .ok());
  ASSERT_TRUE(
      store_->RecordRoute(id, {"embed", "hybrid", "real", "real", false, 600}, kT0 + 4).ok());
  auto job = store_->GetJob("u1", id);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_TRUE(job->fallback_triggered);
  EXPECT_EQ(job->actual_parse_cost_nanos, 1'250'000);
  EXPECT_EQ(job->actual_embed_cost_nanos, 1000);
  EXPECT_EQ(job->updated_at_ms, kT0 + 4);
  const nlohmann::json& parse = job->stage_routes["parse"];
  EXPECT_EQ(parse["mode"], "hybrid");
  EXPECT_EQ(parse["implementation"], "real");
  EXPECT_EQ(parse["calls"], 1);
  EXPECT_EQ(parse["fallback_calls"], 0);
  EXPECT_TRUE(parse["fallback_reason"].is_null());
  const nlohmann::json& embed = job->stage_routes["embed"];
  EXPECT_EQ(embed["implementation"], "real");  // the latest call's
  EXPECT_EQ(embed["reason"], "real");
  EXPECT_EQ(embed["calls"], 3);
  EXPECT_EQ(embed["fallback_calls"], 1);
  EXPECT_EQ(embed["fallback_reason"], "real_failed:UPSTREAM_5XX");  // kept after it

  EXPECT_EQ(
      store_->RecordRoute("no-such-job", {"parse", "mock", "mock", "mode", false, 0}, kT0).code(),
      "JOB_NOT_FOUND");
  EXPECT_EQ(store_->RecordRoute(id, {"chunk", "mock", "mock", "mode", false, 0}, kT0).code(),
            "INVALID_STORE_RECORD");
}

TEST_P(StoreConformanceTest, ConcurrentRecordRouteLosesNoIncrement) {
  CreateUploadResult up = Upload("u1", kT0);
  constexpr int kThreads = 4, kCalls = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread its own handle where the backend allows: separate connections race.
      std::unique_ptr<Store> other = OpenAgain();
      for (int i = 0; i < kCalls; ++i) {
        Status s = other->RecordRoute(
            up.job.id, {"embed", "hybrid", "real", "real", (i + t) % 5 == 0, 7}, kT0 + i);
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto job = store_->GetJob("u1", up.job.id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->actual_embed_cost_nanos, 7 * kThreads * kCalls);
  EXPECT_EQ(job->stage_routes["embed"]["calls"], kThreads * kCalls);
  EXPECT_EQ(job->stage_routes["embed"]["fallback_calls"], kThreads * kCalls / 5);
  EXPECT_TRUE(job->fallback_triggered);
}

}  // namespace
}  // namespace ingestd
