// KeywordIndex against SQLite FTS5 (conformance): over a corpus of two users' chunks —
// common and rare words, case and diacritics, repeated texts (ties) — every query answers
// what Store::KeywordSearch answers: the same chunks in the same order, scores equal to
// rounding. Also: chunks are searchable as soon as they commit and gone once deleted; a
// filter or a word FTS5 reads as a phrase is answered by the store.
#include "search/keyword_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "search/search_test_store.h"
#include "store/sqlite/unicode61_tokenizer.h"

namespace ingestd::search {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> HitIds(const std::vector<KeywordHit>& hits) {
  std::vector<std::string> ids;
  for (const KeywordHit& h : hits) ids.push_back(h.chunk_id);
  return ids;
}

class KeywordIndexTest : public SearchStoreTest {
 protected:
  void SetUp() override {
    SearchStoreTest::SetUp();
    auto tokenizer = sqlite::Unicode61Tokenizer::Open();
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
    tokenizer_ = std::move(*tokenizer);
    KeywordIndexOptions o;
    o.tokenize = [t = tokenizer_.get()](std::string_view text) { return t->Tokens(text); };
    o.page_size = 64;  // several pages per catch-up
    index_ = std::make_unique<KeywordIndex>(store_.get(), o);
  }
  void TearDown() override {
    index_.reset();
    SearchStoreTest::TearDown();
  }

  // A completed document of user holding one chunk per text; returns its id and chunk ids.
  std::pair<std::string, std::vector<std::string>> StoreTexts(
      const std::string& user, const std::vector<std::string>& texts) {
    return StoreChunks(user, "m", texts, std::vector<std::vector<float>>(texts.size(), {1, 0}));
  }

  // The index answers query for user as the store does.
  void ExpectSameAsFts5(const std::string& user, const std::string& query, int limit) {
    auto want = store_->KeywordSearch(user, query, {}, limit);
    auto got = index_->Search(user, query, {}, limit);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(HitIds(*got), HitIds(*want)) << "query: " << query;
    for (size_t i = 0; i < got->size(); ++i) {
      EXPECT_NEAR((*got)[i].score, (*want)[i].score, 1e-9 * std::abs((*want)[i].score));
    }
  }

  std::unique_ptr<sqlite::Unicode61Tokenizer> tokenizer_;
  std::unique_ptr<KeywordIndex> index_;
};

TEST_F(KeywordIndexTest, RanksAsFts5Bm25) {
  const std::vector<std::string> vocabulary = {
      "the",   "of",     "and",  "Section", "results", "méthode", "Café",   "CAFE",
      "naïve", "Über",   "über", "données", "2024",    "x86_64",  "Straße", "ℌilbert",
      "model", "budget", "rate", "limit",   "index",   "search",  "vector", "keyword"};
  std::mt19937 rng(11);
  std::geometric_distribution<int> pick(0.15);
  const auto word = [&] { return vocabulary[static_cast<size_t>(pick(rng)) % vocabulary.size()]; };
  std::uniform_int_distribution<int> length(1, 40);
  const char* separators[] = {" ", ", ", ". ", "\n", " — ", "-", "'"};
  for (const std::string user : {"u1", "u2"}) {
    for (int doc = 0; doc < 6; ++doc) {
      std::vector<std::string> texts;
      for (int c = 0; c < 25; ++c) {
        std::string text;
        for (int n = length(rng); n > 0; --n) text += word() + separators[rng() % 7];
        texts.push_back(c % 9 == 4 && !texts.empty() ? texts.front() : text);  // ties
      }
      StoreTexts(user, texts);
    }
  }
  std::uniform_int_distribution<int> words(1, 6);
  for (int q = 0; q < 120; ++q) {
    std::string query;
    for (int n = words(rng); n > 0; --n) query += word() + " ";
    if (q % 10 == 0) query += "unheardof ";
    for (int limit : {1, 10, 50}) ExpectSameAsFts5(q % 2 == 0 ? "u1" : "u2", query, limit);
  }
  ExpectSameAsFts5("u1", "cafe café CAFÉ", 20);  // one token three times: three phrases
  ExpectSameAsFts5("u1", "UBER uber", 20);
  ExpectSameAsFts5("u1", "", 20);
  ExpectSameAsFts5("u1", "!!! ---", 20);
  ExpectSameAsFts5("nobody", "the", 20);
}

TEST_F(KeywordIndexTest, ChunksAreSearchableOnceCommittedAndGoneOnceDeleted) {
  EXPECT_THAT(index_->Search("u1", "zephyr", {}, 10).value(), IsEmpty());
  const auto [doc, ids] = StoreTexts("u1", {"zephyr wind", "calm air"});
  EXPECT_THAT(HitIds(index_->Search("u1", "zephyr", {}, 10).value()), ElementsAre(ids[0]));
  EXPECT_THAT(index_->Search("u2", "zephyr", {}, 10).value(), IsEmpty());
  ASSERT_TRUE(store_->DeleteDocument("u1", doc).ok());
  EXPECT_THAT(index_->Search("u1", "zephyr", {}, 10).value(), IsEmpty());
  EXPECT_EQ(index_->Report().chunks, 0);
  ExpectSameAsFts5("u1", "zephyr calm", 10);
}

TEST_F(KeywordIndexTest, FiltersAndPhrasesAreTheStoresToAnswer) {
  const auto [first, first_ids] = StoreTexts("u1", {"alpha beta", "beta gamma"});
  const auto [second, second_ids] = StoreTexts("u1", {"alpha beta gamma"});
  SearchFilter only_second;
  only_second.document_ids = {second};
  EXPECT_THAT(HitIds(index_->Search("u1", "alpha", only_second, 10).value()),
              ElementsAre(second_ids[0]));
  // "alpha—beta" is one word to keyword_query but the FTS5 phrase "alpha beta".
  auto want = store_->KeywordSearch("u1", "alpha—beta", {}, 10).value();
  EXPECT_EQ(HitIds(index_->Search("u1", "alpha—beta", {}, 10).value()), HitIds(want));
  EXPECT_EQ(want.size(), 2u);
}

}  // namespace
}  // namespace ingestd::search
