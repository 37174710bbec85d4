// Bm25Index: an inverted index of chunk tokens that ranks the way SQLite FTS5's bm25() does
// for a query of single-token phrases joined by OR (store/keyword_query.h), so that it can
// answer Store::KeywordSearch without FTS5 scoring every match.
//
// Scoring is FTS5's (ext/fts5/fts5_aux.c, fts5Bm25Function): k1 = 1.2, b = 0.75, per phrase
// idf = log((N - n + 0.5) / (n + 0.5)), 1e-6 when that is not positive, and the sum over the
// query's phrases in query order (a repeated phrase counts again) of
// idf · f·(k1+1) / (f + k1·(1 - b + b·D/avgdl)), computed in the same order of operations so
// equal inputs give equal doubles. N, avgdl and n are FTS5's too: over every user's chunks
// (one FTS5 table holds them all); the postings are per user, so a query reads only the
// caller's.
//
// TopK prunes with MaxScore: each posting list carries an upper bound of what it can add
// (its largest f, its shortest chunk), lists whose bounds together cannot reach the k-th
// best score are only probed for chunks the others found, and a chunk is given up once what
// is left cannot lift it to the k-th. Only a chunk clearly below the k-th is skipped (a
// margin of 1e-9 relative), so ties and rounding never change the answer: it equals the
// exhaustive ranking (score descending, then chunk id), which kExhaustive computes.
//
// Not thread-safe: the owner (KeywordIndex) serialises writes against reads.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace ingestd::search {

struct Bm25Hit {
  std::string chunk_id;
  double score = 0;  // -bm25(): higher is better
};

enum class Bm25Scan { kPruned, kExhaustive };

class Bm25Index {
 public:
  // Adds a chunk of user_id with its tokens (as FTS5's tokenizer gives them, repeats kept);
  // a chunk id already held is replaced.
  void Put(const std::string& user_id, const std::string& chunk_id,
           const std::vector<std::string>& tokens);
  // Removes the chunk; an unknown id is ignored.
  void Remove(const std::string& chunk_id);

  // The user's best k chunks holding any of phrases (one token each), best first, ties by
  // chunk id.
  std::vector<Bm25Hit> TopK(const std::string& user_id, const std::vector<std::string>& phrases,
                            int k, Bm25Scan scan = Bm25Scan::kPruned) const;

  int64_t rows() const { return rows_; }  // every user's chunks
  size_t memory_bytes() const;

 private:
  using TermId = uint32_t;
  using Slot = uint32_t;
  struct Posting {
    Slot slot;
    uint32_t tf;
  };
  struct PostingList {
    std::vector<Posting> postings;  // by slot
    uint32_t max_tf = 0;            // bounds for MaxScore; kept through removals
    uint32_t min_length = UINT32_MAX;
  };
  struct ChunkSlot {
    std::string chunk_id;       // empty: removed
    uint32_t length = 0;        // tokens
    std::vector<TermId> terms;  // distinct
  };
  // A user's chunks by slot (in arrival order, so postings stay sorted by appending) and
  // their postings. Removed slots stay until they outnumber the live ones (Compact).
  struct UserPostings {
    std::vector<ChunkSlot> slots;
    size_t removed = 0;
    std::unordered_map<TermId, PostingList> terms;
  };
  struct Where {
    UserPostings* user;
    Slot slot;
  };
  struct Cursor;

  TermId Intern(const std::string& term);
  void Compact(UserPostings* user);
  double Idf(TermId term) const;

  std::unordered_map<std::string, TermId> term_ids_;
  std::vector<int64_t> df_;  // chunks holding the term, every user's, by TermId
  int64_t rows_ = 0, tokens_ = 0;
  std::unordered_map<std::string, UserPostings> users_;
  std::unordered_map<std::string, Where> chunks_;
};

}  // namespace ingestd::search
