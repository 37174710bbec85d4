// Bm25Index: the pruned top-k equals the exhaustive ranking (scores, order, ties by chunk
// id) over a random corpus; removals and replacements leave the index as if the chunk had
// never been there; a user's query never reaches another user's chunks, while the
// statistics (N, avgdl, df) are every user's, as in FTS5's one table.
#include "search/bm25_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace ingestd::search {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Ids(const std::vector<Bm25Hit>& hits) {
  std::vector<std::string> ids;
  for (const Bm25Hit& h : hits) ids.push_back(h.chunk_id);
  return ids;
}

// Words drawn with a skewed distribution, so some are in most chunks (small or clamped
// idf) and some in few; chunk lengths vary, and some chunks repeat another's text (ties).
class RandomCorpus {
 public:
  explicit RandomCorpus(uint32_t seed) : rng_(seed) {}
  std::string Word() {
    std::geometric_distribution<int> pick(0.08);
    return "w" + std::to_string(pick(rng_) % 80);
  }
  std::vector<std::string> Text() {
    std::uniform_int_distribution<int> length(1, 60);
    std::vector<std::string> tokens(static_cast<size_t>(length(rng_)));
    for (std::string& t : tokens) t = Word();
    return tokens;
  }
  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

TEST(Bm25IndexTest, PrunedTopKEqualsTheExhaustiveRanking) {
  Bm25Index index;
  RandomCorpus corpus(7);
  std::vector<std::vector<std::string>> texts;
  for (int i = 0; i < 1'500; ++i) {
    const bool repeat = !texts.empty() && i % 17 == 0;
    texts.push_back(repeat ? texts[static_cast<size_t>(i) / 2] : corpus.Text());
    index.Put(i % 3 == 0 ? "other" : "u1", "c" + std::to_string(i), texts.back());
  }
  // Removals leave dead postings behind until a compaction: both paths must skip them.
  for (int i = 0; i < 1'500; i += 7) index.Remove("c" + std::to_string(i));

  std::uniform_int_distribution<int> words(1, 8);
  int compared = 0;
  for (int q = 0; q < 300; ++q) {
    std::vector<std::string> phrases(static_cast<size_t>(words(corpus.rng())));
    for (std::string& p : phrases) p = corpus.Word();
    if (q % 5 == 0) phrases.push_back(phrases.front());  // a repeated word counts twice
    for (int k : {1, 10, 50}) {
      const auto pruned = index.TopK("u1", phrases, k, Bm25Scan::kPruned);
      const auto exhaustive = index.TopK("u1", phrases, k, Bm25Scan::kExhaustive);
      ASSERT_EQ(Ids(pruned), Ids(exhaustive)) << "query " << q << " k " << k;
      for (size_t i = 0; i < pruned.size(); ++i) EXPECT_EQ(pruned[i].score, exhaustive[i].score);
      for (size_t i = 1; i < exhaustive.size(); ++i) {
        const Bm25Hit& a = exhaustive[i - 1];
        const Bm25Hit& b = exhaustive[i];
        EXPECT_TRUE(a.score > b.score || (a.score == b.score && a.chunk_id < b.chunk_id));
      }
      compared += static_cast<int>(pruned.size());
    }
  }
  EXPECT_GT(compared, 10'000);  // the queries matched: the comparison is not vacuous
}

TEST(Bm25IndexTest, ScoresAreFts5Bm25OverEveryUsersChunks) {
  Bm25Index index;
  index.Put("u1", "a", {"apple", "pie", "apple"});
  index.Put("u2", "b", {"banana", "split", "with", "ice", "cream"});
  index.Put("u2", "c", {"cherry"});
  // N = 3, avgdl = 9/3, "apple" in 1 chunk: idf = log(2.5/1.5); f = 2, D = 3.
  const double idf = std::log((3 - 1 + 0.5) / (1 + 0.5));
  const double expected = idf * ((2 * (1.2 + 1.0)) / (2 + 1.2 * (1 - 0.75 + 0.75 * 3.0 / 3.0)));
  auto hits = index.TopK("u1", {"apple"}, 10);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk_id, "a");
  EXPECT_DOUBLE_EQ(hits[0].score, expected);
  // The same phrase twice: each adds its share, as FTS5 scores each phrase of the query.
  EXPECT_DOUBLE_EQ(index.TopK("u1", {"apple", "apple"}, 10)[0].score, 2 * expected);
}

TEST(Bm25IndexTest, ACommonWordGetsFts5sFloorIdf) {
  Bm25Index index;
  index.Put("u1", "a", {"the", "x"});
  index.Put("u1", "b", {"the"});
  // n = N = 2: log(0.5 / 2.5) < 0, so idf = 1e-6 and the score stays positive.
  auto hits = index.TopK("u1", {"the"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_GT(hits[1].score, 0);
  EXPECT_LT(hits[0].score, 1e-5);
}

TEST(Bm25IndexTest, UsersNeverSeeEachOthersChunks) {
  Bm25Index index;
  index.Put("u1", "a", {"shared", "word"});
  index.Put("u2", "b", {"shared", "word"});
  EXPECT_THAT(Ids(index.TopK("u1", {"shared"}, 10)), ElementsAre("a"));
  EXPECT_THAT(Ids(index.TopK("u2", {"word"}, 10)), ElementsAre("b"));
  EXPECT_THAT(index.TopK("nobody", {"shared"}, 10), IsEmpty());
}

TEST(Bm25IndexTest, RemovedAndReplacedChunksLeaveNoTrace) {
  Bm25Index fresh, churned;
  fresh.Put("u1", "keep1", {"alpha", "beta"});
  fresh.Put("u1", "keep2", {"beta", "gamma", "gamma"});
  fresh.Put("u2", "other", {"alpha"});
  // The same end state reached through removals, a replacement and compactions.
  churned.Put("u1", "gone1", {"alpha", "alpha", "delta"});
  churned.Put("u1", "keep1", {"zeta"});
  churned.Put("u1", "gone2", {"beta"});
  churned.Put("u2", "other", {"alpha"});
  churned.Put("u1", "keep2", {"beta", "gamma", "gamma"});
  churned.Remove("gone1");
  churned.Remove("gone2");
  churned.Remove("never-stored");
  churned.Put("u1", "keep1", {"alpha", "beta"});
  EXPECT_EQ(churned.rows(), fresh.rows());
  for (const auto& phrases : std::vector<std::vector<std::string>>{
           {"alpha"}, {"beta"}, {"gamma", "alpha"}, {"delta"}, {"zeta"}}) {
    const auto want = fresh.TopK("u1", phrases, 10);
    const auto got = churned.TopK("u1", phrases, 10);
    ASSERT_EQ(Ids(got), Ids(want)) << phrases.front();
    for (size_t i = 0; i < got.size(); ++i) EXPECT_DOUBLE_EQ(got[i].score, want[i].score);
  }
  EXPECT_THAT(churned.TopK("u1", {"delta"}, 10), IsEmpty());
}

}  // namespace
}  // namespace ingestd::search
