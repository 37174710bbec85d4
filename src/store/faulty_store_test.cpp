#include "store/faulty_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/crypto.h"
#include "core/ids.h"

namespace ingestd {
namespace {

namespace fs = std::filesystem;

class FaultyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("ingestd-faulty-" + HexEncode(RandomBytes(6)))).string();
    auto inner = OpenStore(dir_ + "/db.sqlite");
    ASSERT_TRUE(inner.ok());
    inner_ = std::move(*inner);
    ASSERT_TRUE(inner_->Migrate().ok());
    faulty_ = std::make_unique<FaultyStore>(inner_.get());
  }
  void TearDown() override {
    faulty_.reset();
    inner_.reset();
    fs::remove_all(dir_);
  }
  Status Upload() {
    Document d;
    d.id = NewUuidV4();
    d.user_id = "u";
    d.sha256 = Sha256Hex(d.id);
    Job j;
    j.id = NewUuidV4();
    j.status = JobStatus::kUploaded;
    auto r = faulty_->CreateUpload(d, j, 1);
    return r.ok() ? Status() : r.status();
  }
  size_t JobCount() { return inner_->ListJobs("u", {})->size(); }

  std::string dir_;
  std::unique_ptr<Store> inner_;
  std::unique_ptr<FaultyStore> faulty_;
};

TEST_F(FaultyStoreTest, ForwardsWhenNoFaultIsSet) {
  EXPECT_TRUE(Upload().ok());
  EXPECT_EQ(JobCount(), 1u);
  EXPECT_EQ(faulty_->calls(), 1);
  EXPECT_EQ(faulty_->faults_injected(), 0);
}

TEST_F(FaultyStoreTest, FailBeforeChangesNothing) {
  faulty_->FailNext("CreateUpload");
  Status s = Upload();
  EXPECT_EQ(s.code(), "INJECTED_FAULT");
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(JobCount(), 0u);
  EXPECT_TRUE(Upload().ok());  // only the next one failed
  EXPECT_EQ(JobCount(), 1u);
}

TEST_F(FaultyStoreTest, FailAfterAppliesTheChangeButReportsFailure) {
  faulty_->FailNext("CreateUpload", 1, FaultyStore::When::kAfter,
                    Status::Internal("LOST_REPLY", "x"));
  EXPECT_EQ(Upload().code(), "LOST_REPLY");
  EXPECT_EQ(JobCount(), 1u);
}

TEST_F(FaultyStoreTest, FailNthCallCountsEveryMethod) {
  faulty_->FailNthCall(3);
  EXPECT_TRUE(faulty_->Ping().ok());
  EXPECT_TRUE(Upload().ok());
  EXPECT_FALSE(faulty_->ClaimNext("w", 10, 10).ok());
  EXPECT_TRUE(faulty_->ClaimNext("w", 10, 10).ok());
  EXPECT_EQ(faulty_->faults_injected(), 1);
}

TEST_F(FaultyStoreTest, FailNextRepeatsAndOnlyMatchesItsMethod) {
  faulty_->FailNext("Ping", 2);
  EXPECT_TRUE(Upload().ok());
  EXPECT_FALSE(faulty_->Ping().ok());
  EXPECT_FALSE(faulty_->Ping().ok());
  EXPECT_TRUE(faulty_->Ping().ok());
  faulty_->FailNext("Ping");
  faulty_->Reset();
  EXPECT_TRUE(faulty_->Ping().ok());
  EXPECT_EQ(faulty_->calls(), 1);
}

}  // namespace
}  // namespace ingestd
