#include "store/store_conformance.h"

#include "core/crypto.h"
#include "core/ids.h"

namespace ingestd {

namespace {
constexpr char kChunkNamespace[] = "6f1c1c4e-6a55-4f0e-9d3e-2f3f6f0d9a01";
}  // namespace

std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

void StoreConformanceTest::SetUp() {
  url_ = GetParam().new_database_url();
  auto store = OpenStore(url_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(*store);
  ASSERT_TRUE(store_->Migrate().ok());
}

void StoreConformanceTest::TearDown() {
  store_.reset();
  if (GetParam().drop_database) GetParam().drop_database(url_);
}

std::unique_ptr<Store> StoreConformanceTest::OpenAgain() {
  auto store = OpenStore(url_);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  EXPECT_TRUE((*store)->Migrate().ok());
  return std::move(*store);
}

Document StoreConformanceTest::MakeDocument(const std::string& user, const std::string& sha256) {
  Document d;
  d.id = NewUuidV4();
  d.user_id = user;
  d.filename = "report.pdf";
  d.mime = "application/pdf";
  d.size_bytes = 1234;
  d.sha256 = sha256.empty() ? Sha256Hex(RandomBytes(16)) : sha256;
  return d;
}

Job StoreConformanceTest::MakeJob(const Document& doc, JobStatus status) {
  Job j;
  j.id = NewUuidV4();
  j.document_id = doc.id;
  j.user_id = doc.user_id;
  j.status = status;
  j.state = QueueState::kQueued;
  j.correlation_id = NewUuidV4();
  j.service_mode = "mock";
  return j;
}

CreateUploadResult StoreConformanceTest::Upload(const std::string& user, int64_t now_ms,
                                                JobStatus status) {
  Document doc = MakeDocument(user);
  auto r = store_->CreateUpload(doc, MakeJob(doc, status), now_ms);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : CreateUploadResult{};
}

Job StoreConformanceTest::MustClaim(const std::string& worker, int64_t now_ms, int64_t lease_ms) {
  auto r = store_->ClaimNext(worker, now_ms, lease_ms);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r.ok() && r->has_value()) << "nothing to claim";
  return r.ok() && r->has_value() ? **r : Job{};
}

std::vector<Chunk> StoreConformanceTest::MakeChunks(const std::string& doc_id, int n,
                                                    const std::string& text_prefix) {
  std::vector<Chunk> out;
  int64_t pos = 0;
  for (int i = 0; i < n; ++i) {
    Chunk c;
    c.id = UuidV5(kChunkNamespace, doc_id + ":" + std::to_string(i));
    c.document_id = doc_id;
    c.ord = i;
    c.text = text_prefix + " " + std::to_string(i) + " — ünïcödé";
    c.heading_path = "Intro > Part " + std::to_string(i);
    c.token_count = 10 + i;
    c.char_start = pos;
    pos += static_cast<int64_t>(c.text.size());
    c.char_end = pos;
    out.push_back(std::move(c));
  }
  return out;
}

StageCommit StoreConformanceTest::MakeCommit(const std::string& job_id, const std::string& worker,
                                             JobStatus to, QueueState next_state) {
  StageCommit c;
  c.job_id = job_id;
  c.worker_id = worker;
  c.to = to;
  c.next_state = next_state;
  return c;
}

VectorRecord StoreConformanceTest::MakeVector(const Chunk& chunk, const std::string& model,
                                              std::vector<float> values) {
  return VectorRecord{chunk.id, chunk.document_id, model, std::move(values)};
}

std::vector<std::string> StoreConformanceTest::EventCodes(const std::string& user,
                                                          const std::string& job_id) {
  std::vector<std::string> codes;
  auto events = store_->ListEvents(user, job_id);
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  if (events.ok()) {
    for (const Event& e : *events) codes.push_back(e.code);
  }
  return codes;
}

}  // namespace ingestd
