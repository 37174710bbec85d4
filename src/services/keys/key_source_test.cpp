#include "services/keys/key_source.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace ingestd {
namespace {

KeySource Source() {
  KeySource s;
  s.list_var = "OPENAI_API_KEYS";
  s.file_var = "OPENAI_API_KEYS_FILE";
  s.single_var = "OPENAI_API_KEY";
  return s;
}

std::string TempFile(const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("keys-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  std::ofstream(path) << text;
  return path.string();
}

TEST(KeySourceTest, ParsesAList) {
  auto keys = ParseKeyEntries(" k1:sk-one , k2:sk-two,", ',', "OPENAI_API_KEYS");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].id, "k1");
  EXPECT_EQ((*keys)[0].secret, "sk-one");
  EXPECT_EQ((*keys)[1].id, "k2");
  EXPECT_EQ((*keys)[1].secret, "sk-two");
}

TEST(KeySourceTest, AKeyMayHoldColons) {
  auto keys = ParseKeyEntries("k:abc:def", ',', "X");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ((*keys)[0].secret, "abc:def");
}

TEST(KeySourceTest, RejectsMalformedEntriesWithoutQuotingThem) {
  for (const std::string text : {"sk-secret-without-id", "bad id:sk-secret", ":sk-secret",
                                 "k1:", "k1:sk secret with space"}) {
    auto keys = ParseKeyEntries("ok:sk-ok," + text, ',', "OPENAI_API_KEYS");
    ASSERT_FALSE(keys.ok()) << text;
    EXPECT_EQ(keys.status().code(), "KEYS_INVALID");
    EXPECT_NE(keys.status().message().find("OPENAI_API_KEYS entry 2"), std::string::npos)
        << keys.status().message();
    EXPECT_EQ(keys.status().message().find("secret"), std::string::npos) << keys.status().message();
  }
}

TEST(KeySourceTest, LegacySingleKeyIsDefault) {
  KeySource s = Source();
  s.single = "sk-legacy";
  auto keys = LoadKeys(s);
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].id, "default");
  EXPECT_EQ((*keys)[0].secret, "sk-legacy");
}

TEST(KeySourceTest, CombinesListFileAndSingleKey) {
  KeySource s = Source();
  s.list = "a:sk-a";
  s.file = TempFile("# rotated 2026-11-28\n\nb:sk-b\r\n  c : sk-c  \n");
  s.single = "sk-d";
  auto keys = LoadKeys(s);
  std::filesystem::remove(s.file);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  std::vector<std::string> ids;
  for (const auto& k : *keys) ids.push_back(k.id + "=" + k.secret);
  EXPECT_EQ(ids, (std::vector<std::string>{"a=sk-a", "b=sk-b", "c=sk-c", "default=sk-d"}));
}

TEST(KeySourceTest, FileErrorsNameTheLine) {
  KeySource s = Source();
  s.file = TempFile("a:sk-a\n\njust-a-secret\n");
  auto keys = LoadKeys(s);
  std::filesystem::remove(s.file);
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.status().message().find("entry 3"), std::string::npos) << keys.status().message();
  EXPECT_EQ(keys.status().message().find("just-a-secret"), std::string::npos);
}

TEST(KeySourceTest, DuplicateIdsAndMissingFilesFail) {
  KeySource dup = Source();
  dup.list = "default:sk-a";
  dup.single = "sk-b";
  auto d = LoadKeys(dup);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), "KEYS_INVALID");
  KeySource missing = Source();
  missing.file = "/nonexistent/keys.txt";
  auto m = LoadKeys(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), "KEYS_FILE_UNREADABLE");
  EXPECT_TRUE(LoadKeys(Source())->empty());
}

}  // namespace
}  // namespace ingestd
