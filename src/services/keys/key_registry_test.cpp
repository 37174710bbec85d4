#include "services/keys/key_registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace ingestd {
namespace {

class KeyRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("key-registry-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    file_ = (dir_ / "openai.keys").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Written beside and renamed over, as an operator's tooling should.
  void WriteKeys(const std::string& text) {
    const std::string tmp = file_ + ".tmp";
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, file_);
  }
  std::map<std::string, KeySource> Sources() {
    KeySource openai;
    openai.file_var = "OPENAI_API_KEYS_FILE";
    openai.file = file_;
    KeySource llama;
    llama.single_var = "LLAMAPARSE_API_KEY";
    llama.single = "llx-1";
    return {{"openai", openai}, {"llamaparse", llama}, {"unused", KeySource{}}};
  }
  static std::vector<std::string> Ids(const KeyRing* ring) {
    std::vector<std::string> ids;
    for (const auto& s : ring->States()) ids.push_back(s.id);
    return ids;
  }

  std::filesystem::path dir_;
  std::string file_;
};

TEST_F(KeyRegistryTest, OpensARingPerConfiguredProvider) {
  WriteKeys("k1:sk-1\nk2:sk-2\n");
  auto reg = KeyRegistry::Open(Sources(), 0);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(Ids((*reg)->ring("openai")), (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(Ids((*reg)->ring("llamaparse")), (std::vector<std::string>{"default"}));
  EXPECT_EQ((*reg)->ring("unused"), nullptr);
  EXPECT_EQ((*reg)->rings().size(), 2u);
}

TEST_F(KeyRegistryTest, ABadKeyFileFailsStartUp) {
  WriteKeys("not-an-entry\n");
  auto reg = KeyRegistry::Open(Sources(), 0);
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.status().code(), "KEYS_INVALID");
}

TEST_F(KeyRegistryTest, ReloadAllRereadsAndKeepsOldKeysWhenTheFileIsBroken) {
  WriteKeys("k1:sk-1\n");
  auto reg = KeyRegistry::Open(Sources(), 0);
  ASSERT_TRUE(reg.ok());
  WriteKeys("k2:sk-2\nk3:sk-3\n");
  EXPECT_TRUE((*reg)->ReloadAll().ok());
  EXPECT_EQ(Ids((*reg)->ring("openai")), (std::vector<std::string>{"k2", "k3"}));
  WriteKeys("k4 sk-4\n");
  EXPECT_EQ((*reg)->ReloadAll().code(), "KEYS_INVALID");
  EXPECT_EQ(Ids((*reg)->ring("openai")), (std::vector<std::string>{"k2", "k3"}));
}

TEST_F(KeyRegistryTest, AChangedKeyFileIsPickedUpByThePoller) {
  WriteKeys("k1:sk-1\n");
  auto reg = KeyRegistry::Open(Sources(), 20);
  ASSERT_TRUE(reg.ok());
  WriteKeys("k9:sk-9\n");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Ids((*reg)->ring("openai")) != std::vector<std::string>{"k9"} &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Ids((*reg)->ring("openai")), (std::vector<std::string>{"k9"}));
}

}  // namespace
}  // namespace ingestd
