#include "services/mock_embedder.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ingestd {
namespace {

double Norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return std::sqrt(s);
}

TEST(MockEmbedder, VectorsAreNormalisedAndSized) {
  MockEmbedder e;
  auto r = e.Embed({"alpha", "beta gamma", ""}, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->vectors.size(), 3u);
  for (const auto& v : r->vectors) {
    ASSERT_EQ(v.size(), 1536u);
    EXPECT_NEAR(Norm(v), 1.0, 1e-5);
    for (float x : v) ASSERT_TRUE(std::isfinite(x));
  }
  EXPECT_EQ(r->model, "mock-embed-1536");
  EXPECT_EQ(e.model(), "mock-embed-1536");
  EXPECT_EQ(e.dimensions(), 1536);
}

TEST(MockEmbedder, SameTextSameVectorRegardlessOfPosition) {
  MockEmbedder e;
  auto a = e.Embed({"one", "two"}, {});
  auto b = e.Embed({"two", "zzz", "one"}, {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->vectors[0], b->vectors[2]);
  EXPECT_EQ(a->vectors[1], b->vectors[0]);
  EXPECT_NE(a->vectors[0], a->vectors[1]);
}

TEST(MockEmbedder, ReportsEstimatedTokens) {
  MockEmbedder e;
  auto r = e.Embed({"12345678", "123"}, {});  // ceil(8/4) + ceil(3/4)
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total_tokens, 3);
}

TEST(MockEmbedder, FaultPerCall) {
  MockEmbedder e({.fail_every_nth = 2});
  EXPECT_TRUE(e.Embed({"a"}, {}).ok());
  EXPECT_EQ(e.Embed({"a"}, {}).status().code(), "UPSTREAM_TRANSIENT");
}

}  // namespace
}  // namespace ingestd
