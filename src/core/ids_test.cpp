#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace ingestd {

TEST(UuidV4, HasVersionAndVariantBits) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = NewUuidV4();
    ASSERT_TRUE(IsUuid(u)) << u;
    EXPECT_EQ(u[14], '4');
    EXPECT_TRUE(std::string("89ab").find(u[19]) != std::string::npos) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(UuidV5, MatchesRfcExampleForDnsNamespace) {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  EXPECT_EQ(UuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(UuidV5, IsDeterministicAndNameSensitive) {
  std::string ns = NewUuidV4();
  EXPECT_EQ(UuidV5(ns, "a"), UuidV5(ns, "a"));
  EXPECT_NE(UuidV5(ns, "a"), UuidV5(ns, "b"));
  EXPECT_EQ(UuidV5("not-a-uuid", "a"), "");
}

TEST(IsUuid, RejectsMalformed) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("886313e1-3b8a-5372-9b90-0c9aee199e5"));
  EXPECT_FALSE(IsUuid("886313e1x3b8a-5372-9b90-0c9aee199e5d"));
  EXPECT_FALSE(IsUuid("../../../../etc/passwd-aaaaaaaaaaaaaaaa"));
  EXPECT_TRUE(IsUuid("886313E1-3B8A-5372-9B90-0C9AEE199E5D"));
}

}  // namespace ingestd
