// Conformance: the retrieval reads — KeywordSearch (diacritics, ranking, scoping, filters,
// hostile query text), GetChunkViews, ListDocumentIds, and the change feeds
// ListVectorChanges / ListChunkChanges (one monotonic seq, tombstones on every removal).
#include <algorithm>
#include <map>
#include <string>

#include "core/ids.h"
#include "store/store_conformance.h"

namespace ingestd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<std::string> ChunkIds(const std::vector<Chunk>& chunks) {
  std::vector<std::string> out;
  for (const Chunk& c : chunks) out.push_back(c.id);
  return out;
}

}  // namespace

std::vector<Chunk> StoreRetrievalTest::StoreTexts(const std::string& user,
                                                  const std::vector<std::string>& texts,
                                                  int64_t now_ms, const std::string& filename,
                                                  const std::string& model) {
  Document doc = MakeDocument(user);
  doc.filename = filename;
  auto up = store_->CreateUpload(doc, MakeJob(doc), now_ms);
  EXPECT_TRUE(up.ok()) << up.status().ToString();
  Job job = MustClaim("w", now_ms);
  EXPECT_EQ(job.id, up.ok() ? up->job.id : "");
  StageCommit c = MakeCommit(job.id, "w", JobStatus::kComplete, QueueState::kDone);
  std::vector<Chunk> chunks = MakeChunks(doc.id, static_cast<int>(texts.size()));
  for (size_t i = 0; i < texts.size(); ++i) {
    chunks[i].text = texts[i];
    c.vectors.push_back(MakeVector(chunks[i], model, {static_cast<float>(i), 1}));
  }
  c.chunks = chunks;
  c.now_ms = now_ms;
  Status s = store_->CommitStage(c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return chunks;
}

std::vector<std::string> StoreRetrievalTest::Search(const std::string& user,
                                                    const std::string& query, const SearchFilter& f,
                                                    int limit) {
  auto hits = store_->KeywordSearch(user, query, f, limit);
  EXPECT_TRUE(hits.ok()) << hits.status().ToString();
  std::vector<std::string> ids;
  if (!hits.ok()) return ids;
  for (size_t i = 0; i < hits->size(); ++i) {
    ids.push_back((*hits)[i].chunk_id);
    if (i > 0) {
      EXPECT_GE((*hits)[i - 1].score, (*hits)[i].score) << "not best first";
    }
  }
  return ids;
}

TEST_P(StoreRetrievalTest, KeywordIgnoresCaseAndDiacritics) {
  const auto chunks = StoreTexts(
      "u1", {"Le café est fermé le dimanche", "A cup of tea", "Über naïve façades"}, kT0);
  EXPECT_THAT(Search("u1", "cafe"), ElementsAre(chunks[0].id));
  EXPECT_THAT(Search("u1", "CAFÉ"), ElementsAre(chunks[0].id));
  EXPECT_THAT(Search("u1", "ferme"), ElementsAre(chunks[0].id));
  EXPECT_THAT(Search("u1", "uber NAIVE facades"), ElementsAre(chunks[2].id));
  EXPECT_THAT(Search("u1", "coffee"), IsEmpty());
  // A word holding non-ASCII punctuation is a phrase of its parts to the index.
  const auto school = StoreTexts("u1", {"À l’école, la naïveté"}, kT0 + 1);
  EXPECT_THAT(Search("u1", "l’école"), ElementsAre(school[0].id));
  EXPECT_THAT(Search("u1", "ecole"), ElementsAre(school[0].id));
  EXPECT_THAT(Search("u1", "«naïveté»"), ElementsAre(school[0].id));
  // Words split at ASCII punctuation in the text as in the query: no e-mail, URL, path or
  // number token swallows them.
  const auto mixed =
      StoreTexts("u1", {"mail ann@example.org, see docs/setup.md v3.14 <b>x</b>"}, kT0 + 2);
  for (const std::string q : {"ann", "example", "setup", "md", "14", "x", "b"}) {
    EXPECT_THAT(Search("u1", q), ElementsAre(mixed[0].id)) << q;
  }
  auto hits = store_->KeywordSearch("u1", "tea", {}, 10);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_GT((*hits)[0].score, 0);
}

TEST_P(StoreRetrievalTest, KeywordMatchesAnyWordAndRanksBetterMatchesFirst) {
  const auto chunks = StoreTexts("u1",
                                 {"apple banana and more words that dilute the match here",
                                  "apple cherry", "banana split", "nothing relevant"},
                                 kT0);
  // Any word matches; the chunk holding both words ranks first.
  const std::vector<std::string> ids = Search("u1", "cherry apple");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], chunks[1].id);
  EXPECT_EQ(ids[1], chunks[0].id);
  EXPECT_EQ(Search("u1", "banana", {}, 1).size(), 1u);
  EXPECT_THAT(Search("u1", "banana", {}, 0), IsEmpty());
}

TEST_P(StoreRetrievalTest, TwoUsersWithTheSameTextSeeOnlyTheirOwn) {
  const auto mine = StoreTexts("u1", {"shared secret text"}, kT0);
  const auto theirs = StoreTexts("u2", {"shared secret text"}, kT0 + 1);
  EXPECT_THAT(Search("u1", "secret"), ElementsAre(mine[0].id));
  EXPECT_THAT(Search("u2", "secret"), ElementsAre(theirs[0].id));
  EXPECT_THAT(Search("nobody", "secret"), IsEmpty());
  auto views = store_->GetChunkViews("u1", {theirs[0].id, mine[0].id});
  ASSERT_TRUE(views.ok()) << views.status().ToString();
  ASSERT_EQ(views->size(), 1u);
  EXPECT_EQ((*views)[0].chunk.id, mine[0].id);
  auto ids = store_->ListDocumentIds("u2", {});
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(*ids, ElementsAre(theirs[0].document_id));
}

// Another user's (or a filtered-out document's) chunks may rank best in the whole index:
// the caller still gets their own best, in order, however many others outrank them.
TEST_P(StoreRetrievalTest, KeywordFindsTheCallersBestBelowManyBetterOfOthers) {
  std::vector<std::string> strong(40, "apple apple apple");
  StoreTexts("u1", strong, kT0, "theirs.pdf");
  const auto mine = StoreTexts("u2", {"apple pie and some other words", "an apple"}, kT0 + 1);
  EXPECT_THAT(Search("u2", "apple", {}, 1), ElementsAre(mine[1].id));
  EXPECT_THAT(Search("u2", "apple", {}, 5), ElementsAre(mine[1].id, mine[0].id));
  const auto own =
      StoreTexts("u1", {"apple and many many more words to dilute"}, kT0 + 2, "own.pdf");
  SearchFilter f;
  f.filename_prefix = "own";
  EXPECT_THAT(Search("u1", "apple", f, 3), ElementsAre(own[0].id));
  EXPECT_EQ(Search("u1", "apple", {}, 50).size(), 41u);
}

TEST_P(StoreRetrievalTest, FiltersRestrictSearchAndDocumentIds) {
  const auto a = StoreTexts("u1", {"needle in a"}, kT0, "alpha.pdf");
  const auto b = StoreTexts("u1", {"needle in b"}, kT0 + 100, "beta.pdf");
  const auto c = StoreTexts("u1", {"needle in c"}, kT0 + 200, "alpha-2.pdf");
  const std::string da = a[0].document_id, db = b[0].document_id, dc = c[0].document_id;
  auto ids = [&](const SearchFilter& f) {
    auto r = store_->ListDocumentIds("u1", f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<std::string>{};
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(ids({}), sorted({da, db, dc}));
  EXPECT_THAT(Search("u1", "needle"), UnorderedElementsAre(a[0].id, b[0].id, c[0].id));

  SearchFilter f;
  f.document_ids = {db, dc, "unknown-doc"};
  EXPECT_THAT(Search("u1", "needle", f), UnorderedElementsAre(b[0].id, c[0].id));
  EXPECT_EQ(ids(f), sorted({db, dc}));
  f = {};
  f.filename_prefix = "alpha";
  EXPECT_THAT(Search("u1", "needle", f), UnorderedElementsAre(a[0].id, c[0].id));
  EXPECT_EQ(ids(f), sorted({da, dc}));
  f.filename_prefix = "ALPHA";  // case-sensitive
  EXPECT_THAT(Search("u1", "needle", f), IsEmpty());
  f.filename_prefix = "%";  // literal, no wildcard
  EXPECT_THAT(ids(f), IsEmpty());
  f = {};
  f.uploaded_after_ms = kT0;  // exclusive bounds
  f.uploaded_before_ms = kT0 + 200;
  EXPECT_THAT(Search("u1", "needle", f), ElementsAre(b[0].id));
  EXPECT_THAT(ids(f), ElementsAre(db));
  f.document_ids = {da};  // every member must hold
  EXPECT_THAT(Search("u1", "needle", f), IsEmpty());
  EXPECT_THAT(ids(f), IsEmpty());
  // Another user's document id admits nothing of theirs.
  SearchFilter other;
  other.document_ids = {da};
  EXPECT_THAT(Search("u2", "needle", other), IsEmpty());
  EXPECT_THAT(store_->ListDocumentIds("u2", other).value(), IsEmpty());
}

TEST_P(StoreRetrievalTest, AnyQueryTextIsAValidQuery) {
  const auto chunks = StoreTexts("u1", {"the cafe opens at noon", "AND OR NOT NEAR"}, kT0);
  const std::string cafe = chunks[0].id;
  // Query syntax of FTS5 and tsquery around a real word: the word is still found.
  for (const std::string& q : std::vector<std::string>{"\"cafe",
                                                       "cafe\"",
                                                       "\"cafe\"",
                                                       "cafe*",
                                                       "^cafe",
                                                       "text:cafe",
                                                       "{text}: cafe",
                                                       "NEAR(cafe noon)",
                                                       "(cafe",
                                                       "cafe)",
                                                       "-cafe",
                                                       "+cafe",
                                                       "cafe:*",
                                                       "!cafe",
                                                       "cafe & noon",
                                                       "cafe | x",
                                                       "cafe <-> noon",
                                                       "'cafe'",
                                                       "cafe'; DROP TABLE chunks; --",
                                                       "\\cafe\\",
                                                       std::string("caf\0e cafe", 10),
                                                       "cafe\xff\xfe",
                                                       "\xc3(cafe",
                                                       "ca\x01"
                                                       "fe cafe"}) {
    const std::vector<std::string> ids = Search("u1", q);
    EXPECT_TRUE(std::find(ids.begin(), ids.end(), cafe) != ids.end()) << "query: " << q;
  }
  // Operators are words like any other.
  EXPECT_THAT(Search("u1", "NOT"), ElementsAre(chunks[1].id));
  EXPECT_THAT(Search("u1", "near"), ElementsAre(chunks[1].id));
  // Nothing but punctuation, space or invalid bytes: no words, no hits, no error.
  for (const std::string& q : std::vector<std::string>{
           "", " ", "\"", "\"\"", "*", "()", ":", "'", "&|!<->", "—", "« »", "\xff\xfe\xfd",
           std::string(1, '\0'), std::string(100'000, '"'), std::string(10'000, '(')}) {
    EXPECT_THAT(Search("u1", q), IsEmpty()) << "query of " << q.size() << " bytes";
  }
  // Huge queries: one word repeated a million bytes long, and thousands of distinct words.
  std::string repeated;
  while (repeated.size() < 1'000'000) repeated += "cafe ";
  EXPECT_THAT(Search("u1", repeated), ElementsAre(cafe));
  std::string many = "cafe";
  for (int i = 0; i < 5000; ++i) many += " w" + std::to_string(i);
  EXPECT_THAT(Search("u1", many), ElementsAre(cafe));
  EXPECT_THAT(Search("u1", std::string(100'000, 'x')), IsEmpty());
}

TEST_P(StoreRetrievalTest, ChunkViewsComeInTheOrderAsked) {
  const auto chunks = StoreTexts("u1", {"zero", "one", "two"}, kT0 + 5, "notes.md");
  auto views = store_->GetChunkViews("u1", {chunks[2].id, "unknown", chunks[0].id, chunks[2].id});
  ASSERT_TRUE(views.ok()) << views.status().ToString();
  ASSERT_EQ(views->size(), 2u);
  EXPECT_EQ((*views)[0].chunk.id, chunks[2].id);
  EXPECT_EQ((*views)[0].chunk.text, "two");
  EXPECT_EQ((*views)[0].chunk.heading_path, chunks[2].heading_path);
  EXPECT_EQ((*views)[0].chunk.ord, 2);
  EXPECT_EQ((*views)[0].chunk.document_id, chunks[2].document_id);
  EXPECT_EQ((*views)[0].filename, "notes.md");
  EXPECT_EQ((*views)[0].uploaded_at_ms, kT0 + 5);
  EXPECT_EQ((*views)[1].chunk.id, chunks[0].id);
  EXPECT_THAT(store_->GetChunkViews("u1", {}).value(), IsEmpty());
}

TEST_P(StoreRetrievalTest, EveryWriteTakesTheNextSeqAndPagesSeeEachOnce) {
  const auto a = StoreTexts("u1", {"a0", "a1"}, kT0);
  const auto b = StoreTexts("u2", {"b0"}, kT0 + 1, "b.pdf", "m2");
  auto all = store_->ListVectorChanges(0, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  for (size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i - 1].seq, (*all)[i].seq);
  EXPECT_EQ((*all)[0].chunk_id, a[0].id);
  EXPECT_EQ((*all)[0].user_id, "u1");
  EXPECT_EQ((*all)[0].document_id, a[0].document_id);
  EXPECT_EQ((*all)[0].model, "m");
  EXPECT_THAT((*all)[0].values, ElementsAre(0.0f, 1.0f));
  EXPECT_FALSE((*all)[0].deleted);
  EXPECT_EQ((*all)[2].user_id, "u2");
  EXPECT_EQ((*all)[2].model, "m2");

  // Re-embedding a vector in place moves it to the end with a new seq, listed once.
  const int64_t before = all->back().seq;
  ASSERT_TRUE(store_
                  ->ReplaceDocumentVectors(a[0].document_id, {MakeVector(a[0], "m", {5, 5}),
                                                              MakeVector(a[1], "m", {6, 6})})
                  .ok());
  auto after = store_->ListVectorChanges(before, 100);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_GT((*after)[0].seq, before);
  EXPECT_THAT((*after)[0].values, ElementsAre(5.0f, 5.0f));
  EXPECT_EQ(store_->ListVectorChanges(0, 100)->size(), 3u);

  // Paging one by one from 0 visits exactly the full listing.
  std::vector<int64_t> paged;
  for (int64_t cursor = 0;;) {
    auto page = store_->ListVectorChanges(cursor, 1);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    ASSERT_EQ(page->size(), 1u);
    paged.push_back(page->front().seq);
    cursor = page->front().seq;
  }
  std::vector<int64_t> listed;
  const std::vector<VectorChange> full = store_->ListVectorChanges(0, 100).value();
  for (const VectorChange& v : full) listed.push_back(v.seq);
  EXPECT_EQ(paged, listed);
  EXPECT_THAT(store_->ListVectorChanges(0, 0).value(), IsEmpty());

  // Chunk feeds are per user and share the counter.
  auto u1 = store_->ListChunkChanges("u1", 0, 100);
  ASSERT_TRUE(u1.ok()) << u1.status().ToString();
  ASSERT_EQ(u1->size(), 2u);
  EXPECT_LT((*u1)[0].seq, (*u1)[1].seq);
  ASSERT_TRUE((*u1)[0].chunk.has_value());
  EXPECT_EQ((*u1)[0].chunk_id, a[0].id);
  EXPECT_EQ((*u1)[0].user_id, "u1");
  EXPECT_EQ((*u1)[0].chunk->chunk.text, "a0");
  EXPECT_EQ((*u1)[0].chunk->filename, "report.pdf");
  auto u2 = store_->ListChunkChanges("u2", 0, 100);
  ASSERT_TRUE(u2.ok());
  ASSERT_EQ(u2->size(), 1u);
  EXPECT_EQ((*u2)[0].chunk_id, b[0].id);
  EXPECT_NE((*u2)[0].seq, (*u1)[0].seq);
  EXPECT_NE((*u2)[0].seq, (*u1)[1].seq);
  EXPECT_EQ(store_->ListChunkChanges("u1", (*u1)[0].seq, 100)->size(), 1u);

  // The all-users feed holds both users' rows in seq order, each with its user.
  auto every = store_->ListAllChunkChanges(0, 100);
  ASSERT_TRUE(every.ok()) << every.status().ToString();
  ASSERT_EQ(every->size(), 3u);
  std::map<std::string, std::string> user_of;
  for (size_t i = 0; i < every->size(); ++i) {
    if (i > 0) {
      EXPECT_LT((*every)[i - 1].seq, (*every)[i].seq);
    }
    ASSERT_TRUE((*every)[i].chunk.has_value());
    user_of[(*every)[i].chunk_id] = (*every)[i].user_id;
  }
  EXPECT_EQ(user_of[a[0].id], "u1");
  EXPECT_EQ(user_of[b[0].id], "u2");
  EXPECT_EQ(store_->ListAllChunkChanges((*every)[1].seq, 100)->size(), 1u);
  EXPECT_EQ(store_->ListAllChunkChanges(0, 2)->size(), 2u);
}

TEST_P(StoreRetrievalTest, DeleteRemovesFromTheIndexAndLeavesTombstonesInBothFeeds) {
  const auto gone = StoreTexts("u1", {"ephemeral words", "more ephemeral"}, kT0);
  const auto kept = StoreTexts("u1", {"ephemeral but kept"}, kT0 + 1);
  const auto other = StoreTexts("u2", {"ephemeral elsewhere"}, kT0 + 2);
  const int64_t before = store_->ListVectorChanges(0, 100).value().back().seq;
  ASSERT_TRUE(store_->DeleteDocument("u1", gone[0].document_id).ok());

  EXPECT_THAT(Search("u1", "ephemeral"), ElementsAre(kept[0].id));
  EXPECT_THAT(store_->GetChunkViews("u1", ChunkIds(gone)).value(), IsEmpty());
  EXPECT_THAT(store_->ListDocumentIds("u1", {}).value(), ElementsAre(kept[0].document_id));

  auto vectors = store_->ListVectorChanges(before, 100);
  ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
  ASSERT_EQ(vectors->size(), 2u);
  std::vector<std::string> deleted;
  for (const VectorChange& v : *vectors) {
    EXPECT_TRUE(v.deleted);
    EXPECT_GT(v.seq, before);
    EXPECT_EQ(v.user_id, "u1");
    EXPECT_EQ(v.document_id, gone[0].document_id);
    EXPECT_EQ(v.model, "m");
    EXPECT_THAT(v.values, IsEmpty());
    deleted.push_back(v.chunk_id);
  }
  EXPECT_THAT(deleted, UnorderedElementsAre(gone[0].id, gone[1].id));

  auto chunks = store_->ListChunkChanges("u1", before, 100);
  ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
  ASSERT_EQ(chunks->size(), 2u);
  deleted.clear();
  for (const ChunkChange& c : *chunks) {
    EXPECT_FALSE(c.chunk.has_value());
    EXPECT_GT(c.seq, before);
    EXPECT_EQ(c.user_id, "u1");
    deleted.push_back(c.chunk_id);
  }
  EXPECT_THAT(deleted, UnorderedElementsAre(gone[0].id, gone[1].id));
  // Seqs stay unique across both feeds: the four removals took four values.
  std::vector<int64_t> seqs;
  for (const VectorChange& v : *vectors) seqs.push_back(v.seq);
  for (const ChunkChange& c : *chunks) seqs.push_back(c.seq);
  std::sort(seqs.begin(), seqs.end());
  EXPECT_EQ(std::unique(seqs.begin(), seqs.end()), seqs.end());
  EXPECT_THAT(store_->ListChunkChanges("u2", before, 100).value(), IsEmpty());
  std::vector<std::string> all_deleted;
  const std::vector<ChunkChange> removed = store_->ListAllChunkChanges(before, 100).value();
  for (const ChunkChange& c : removed) {
    EXPECT_FALSE(c.chunk.has_value());
    all_deleted.push_back(c.chunk_id);
  }
  EXPECT_THAT(all_deleted, UnorderedElementsAre(gone[0].id, gone[1].id));
  EXPECT_THAT(Search("u2", "ephemeral"), ElementsAre(other[0].id));
}

TEST_P(StoreRetrievalTest, ReplacedChunksAreReindexedAndDroppedOnesTombstoned) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w", kT0);
  StageCommit first = MakeCommit(job.id, "w", JobStatus::kChunksStored, QueueState::kWorking);
  std::vector<Chunk> chunks = MakeChunks(up.document.id, 2);
  chunks[0].text = "original alpha";
  chunks[1].text = "original omega";
  first.chunks = chunks;
  first.vectors = {MakeVector(chunks[0], "m", {1}), MakeVector(chunks[1], "m", {2})};
  ASSERT_TRUE(store_->CommitStage(first).ok());
  const int64_t before = store_->ListVectorChanges(0, 100).value().back().seq;

  // A re-run stage replaces the chunks: chunk 0 with new text, chunk 1 no more.
  StageCommit again = MakeCommit(job.id, "w", JobStatus::kComplete, QueueState::kDone);
  std::vector<Chunk> fewer = {chunks[0]};
  fewer[0].text = "rewritten beta";
  again.chunks = fewer;
  ASSERT_TRUE(store_->CommitStage(again).ok());

  EXPECT_THAT(Search("u1", "original alpha omega"), IsEmpty());
  EXPECT_THAT(Search("u1", "beta"), ElementsAre(chunks[0].id));
  auto changes = store_->ListChunkChanges("u1", before, 100);
  ASSERT_TRUE(changes.ok()) << changes.status().ToString();
  ASSERT_EQ(changes->size(), 2u);
  // Chunk 0 was written again: its new row, not its tombstone; chunk 1: a tombstone.
  const ChunkChange& dropped = (*changes)[0].chunk ? (*changes)[1] : (*changes)[0];
  const ChunkChange& rewritten = (*changes)[0].chunk ? (*changes)[0] : (*changes)[1];
  EXPECT_EQ(dropped.chunk_id, chunks[1].id);
  EXPECT_FALSE(dropped.chunk.has_value());
  ASSERT_TRUE(rewritten.chunk.has_value());
  EXPECT_EQ(rewritten.chunk_id, chunks[0].id);
  EXPECT_EQ(rewritten.chunk->chunk.text, "rewritten beta");
  // The vectors went with the chunks.
  auto vectors = store_->ListVectorChanges(before, 100);
  ASSERT_TRUE(vectors.ok());
  ASSERT_EQ(vectors->size(), 2u);
  for (const VectorChange& v : *vectors) EXPECT_TRUE(v.deleted);
}

TEST_P(StoreRetrievalTest, ReplacingVectorsTombstonesTheOtherModels) {
  const auto chunks = StoreTexts("u1", {"x", "y"}, kT0, "r.pdf", "fallback");
  const int64_t before = store_->ListVectorChanges(0, 100).value().back().seq;
  ASSERT_TRUE(
      store_
          ->ReplaceDocumentVectors(chunks[0].document_id, {MakeVector(chunks[0], "real", {1, 0}),
                                                           MakeVector(chunks[1], "real", {0, 1})})
          .ok());
  auto changes = store_->ListVectorChanges(before, 100);
  ASSERT_TRUE(changes.ok()) << changes.status().ToString();
  ASSERT_EQ(changes->size(), 4u);
  int stored = 0, removed = 0;
  for (const VectorChange& v : *changes) {
    EXPECT_GT(v.seq, before);
    EXPECT_EQ(v.user_id, "u1");
    if (v.deleted) {
      ++removed;
      EXPECT_EQ(v.model, "fallback");
    } else {
      ++stored;
      EXPECT_EQ(v.model, "real");
    }
  }
  EXPECT_EQ(stored, 2);
  EXPECT_EQ(removed, 2);
  // Read from the start: the current vectors, and the removed ones' tombstones.
  const std::vector<VectorChange> current = store_->ListVectorChanges(0, 100).value();
  ASSERT_EQ(current.size(), 4u);
  for (const VectorChange& v : current) EXPECT_EQ(v.model, v.deleted ? "fallback" : "real");
}

TEST_P(StoreRetrievalTest, TheIndexAndTheSeqSurviveAReopen) {
  const auto chunks = StoreTexts("u1", {"persistent café"}, kT0);
  const int64_t last = store_->ListVectorChanges(0, 100).value().back().seq;
  store_ = OpenAgain();
  ASSERT_NE(store_, nullptr);
  EXPECT_THAT(Search("u1", "cafe"), ElementsAre(chunks[0].id));
  const auto more = StoreTexts("u1", {"later"}, kT0 + 1);
  auto changes = store_->ListVectorChanges(last, 100);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].chunk_id, more[0].id);
}

}  // namespace ingestd
