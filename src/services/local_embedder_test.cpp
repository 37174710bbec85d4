#include "services/local_embedder.h"

#include <gtest/gtest.h>

#include <cmath>

#include "text/tokenizer.h"

namespace ingestd {
namespace {

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

TEST(LocalEmbedder, VectorsAreUnitLengthSizedAndTagged) {
  LocalEmbedder e;
  auto r = e.Embed({"Fitting linear models in R", "plot(x, y)"}, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->vectors.size(), 2u);
  for (const auto& v : r->vectors) {
    ASSERT_EQ(v.size(), 1024u);
    EXPECT_NEAR(std::sqrt(Dot(v, v)), 1.0, 1e-5);
  }
  EXPECT_EQ(r->model, "ingestd-hash-v1@1024");
  EXPECT_EQ(r->dimensions, 1024);
  EXPECT_EQ(r->implementation, "local");
  EXPECT_EQ(r->cost_usd, 0);
}

TEST(LocalEmbedder, EachDimensionCountIsItsOwnModelSpace) {
  LocalEmbedder small(256);
  EXPECT_EQ(small.model(), "ingestd-hash-v1@256");
  EXPECT_EQ(small.VectorFor("anything").size(), 256u);
}

TEST(LocalEmbedder, UsageIsTheExactCl100kCount) {
  LocalEmbedder e;
  const std::string a = "lm() fits linear models", b = "glm() generalises them";
  auto r = e.Embed({a, b}, {});
  ASSERT_TRUE(r.ok());
  const Tokenizer& tok = Tokenizer::Cl100kBase();
  EXPECT_EQ(r->total_tokens, static_cast<int64_t>(tok.Count(a) + tok.Count(b)));
}

TEST(LocalEmbedder, SharedWordsScoreAboveUnrelatedText) {
  LocalEmbedder e;
  const auto query = e.VectorFor("linear regression model");
  const auto related = e.VectorFor("The function lm fits a linear regression model to data.");
  const auto unrelated = e.VectorFor("Graphics devices draw plots on screen or into files.");
  EXPECT_GT(Dot(query, related), 0.4);
  EXPECT_GT(Dot(query, related), Dot(query, unrelated) + 0.3);
}

TEST(LocalEmbedder, NeitherCaseNorSpacingChangesTheVector) {
  LocalEmbedder e;
  EXPECT_EQ(e.VectorFor("Linear Models"), e.VectorFor("linear models"));
  // cl100k glues a leading space onto words: " models" mid-text is "models" in a query.
  EXPECT_EQ(e.VectorFor("linear models"), e.VectorFor("  linear\n\nmodels "));
}

TEST(LocalEmbedder, WordOrderMattersThroughBigrams) {
  LocalEmbedder e;
  const auto ab = e.VectorFor("data frame");
  const auto ba = e.VectorFor("frame data");
  EXPECT_NE(ab, ba);
  EXPECT_GT(Dot(ab, ba), 0.3);  // the same unigrams still agree
}

TEST(LocalEmbedder, EmptyTextIsTheZeroVector) {
  LocalEmbedder e;
  const auto v = e.VectorFor("");
  ASSERT_EQ(v.size(), 1024u);
  for (float x : v) EXPECT_EQ(x, 0.0f);
}

// Stored vectors are compared with vectors of queries embedded later, maybe by a newer
// build: the hash must not drift under a fixed model tag. Pins one text's largest bucket.
TEST(LocalEmbedder, TheHashIsStableUnderTheSameTag) {
  LocalEmbedder a, b;
  EXPECT_EQ(a.VectorFor("stable hashing"), b.VectorFor("stable hashing"));
  const auto v = a.VectorFor("hello");
  ASSERT_EQ(Tokenizer::Cl100kBase().Encode("hello"), std::vector<int>{15339});
  int nonzero = 0, at = -1;
  for (int i = 0; i < 1024; ++i) {
    if (v[i] != 0) ++nonzero, at = i;
  }
  ASSERT_EQ(nonzero, 1);  // one unigram, no bigram
  // FNV-1a("hello") = 0xa430d84680aabd0b, mixed 0xf3e8eec5eb46e500: bucket 256, sign -.
  EXPECT_EQ(at, 256);
  EXPECT_EQ(v[at], -1.0f);
}

}  // namespace
}  // namespace ingestd
