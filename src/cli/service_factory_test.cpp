#include "cli/service_factory.h"

#include <gtest/gtest.h>

namespace ingestd {
namespace {

TEST(ServiceFactory, MockModeAndUnknownMode) {
  auto p = MakeParser("mock", {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->name(), "mock");
  ServiceOptions failing;
  failing.faults.permanent = true;
  auto e = MakeEmbedder("mock", failing);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->Embed({"x"}, {}).status().code(), "UPSTREAM_PERMANENT");
  EXPECT_EQ(MakeParser("bogus", {}).status().code(), "SERVICE_MODE_UNKNOWN");
  EXPECT_EQ(MakeEmbedder("", {}).status().code(), "SERVICE_MODE_UNKNOWN");
}

}  // namespace
}  // namespace ingestd
