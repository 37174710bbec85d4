#include "search/bm25_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ingestd::search {
namespace {

constexpr double kK1 = 1.2;
constexpr double kB = 0.75;
// TopK skips a chunk only when its bound is below the k-th score by more than this share.
constexpr double kPruneMargin = 1e-9;

// One phrase's share of a chunk's score, as fts5Bm25Function computes it.
double Bm25Share(double idf, double f, double length, double avgdl) {
  return idf * ((f * (kK1 + 1.0)) / (f + kK1 * (1 - kB + kB * length / avgdl)));
}

bool ClearlyBelow(double bound, double kth) { return bound < kth - kPruneMargin * std::abs(kth); }

}  // namespace

Bm25Index::TermId Bm25Index::Intern(const std::string& term) {
  auto [it, inserted] = term_ids_.try_emplace(term, static_cast<TermId>(df_.size()));
  if (inserted) df_.push_back(0);
  return it->second;
}

void Bm25Index::Put(const std::string& user_id, const std::string& chunk_id,
                    const std::vector<std::string>& tokens) {
  Remove(chunk_id);
  UserPostings& user = users_[user_id];
  const Slot slot = static_cast<Slot>(user.slots.size());
  ChunkSlot& chunk = user.slots.emplace_back();
  chunk.chunk_id = chunk_id;
  chunk.length = static_cast<uint32_t>(tokens.size());
  std::unordered_map<TermId, uint32_t> tf;
  for (const std::string& t : tokens) ++tf[Intern(t)];
  chunk.terms.reserve(tf.size());
  for (const auto& [term, n] : tf) {
    chunk.terms.push_back(term);
    ++df_[term];
    PostingList& list = user.terms[term];
    list.postings.push_back({slot, n});
    list.max_tf = std::max(list.max_tf, n);
    list.min_length = std::min(list.min_length, chunk.length);
  }
  ++rows_;
  tokens_ += chunk.length;
  chunks_[chunk_id] = {&user, slot};
}

void Bm25Index::Remove(const std::string& chunk_id) {
  auto it = chunks_.find(chunk_id);
  if (it == chunks_.end()) return;
  UserPostings* user = it->second.user;
  ChunkSlot& chunk = user->slots[it->second.slot];
  for (TermId term : chunk.terms) --df_[term];
  --rows_;
  tokens_ -= chunk.length;
  chunk.chunk_id.clear();
  chunk.terms = {};
  ++user->removed;
  chunks_.erase(it);
  if (user->removed > user->slots.size() / 2) Compact(user);
}

void Bm25Index::Compact(UserPostings* user) {
  std::vector<Slot> renumbered(user->slots.size(), 0);
  Slot next = 0;
  for (Slot s = 0; s < user->slots.size(); ++s) {
    if (!user->slots[s].chunk_id.empty()) renumbered[s] = next++;
  }
  for (auto it = user->terms.begin(); it != user->terms.end();) {
    PostingList& list = it->second;
    std::vector<Posting> kept;
    list.max_tf = 0;
    list.min_length = UINT32_MAX;
    for (const Posting& p : list.postings) {
      const ChunkSlot& chunk = user->slots[p.slot];
      if (chunk.chunk_id.empty()) continue;
      kept.push_back({renumbered[p.slot], p.tf});
      list.max_tf = std::max(list.max_tf, p.tf);
      list.min_length = std::min(list.min_length, chunk.length);
    }
    if (kept.empty()) {
      it = user->terms.erase(it);
      continue;
    }
    list.postings = std::move(kept);
    ++it;
  }
  std::vector<ChunkSlot> live;
  live.reserve(next);
  for (Slot s = 0; s < user->slots.size(); ++s) {
    if (user->slots[s].chunk_id.empty()) continue;
    chunks_[user->slots[s].chunk_id].slot = renumbered[s];
    live.push_back(std::move(user->slots[s]));
  }
  user->slots = std::move(live);
  user->removed = 0;
}

double Bm25Index::Idf(TermId term) const {
  const int64_t n = df_[term];
  const double idf = std::log((rows_ - n + 0.5) / (n + 0.5));
  return idf <= 0.0 ? 1e-6 : idf;
}

// A phrase's walk over its posting list.
struct Bm25Index::Cursor {
  const PostingList* list;
  size_t phrase;  // its place in the query
  double idf;
  double bound;  // the most it adds to any chunk's score
  size_t pos = 0;

  bool done() const { return pos == list->postings.size(); }
  Slot slot() const { return list->postings[pos].slot; }
  // Moves to the first posting at or after slot.
  void SeekTo(Slot target) {
    const auto& p = list->postings;
    pos = static_cast<size_t>(
        std::lower_bound(p.begin() + static_cast<std::ptrdiff_t>(pos), p.end(), target,
                         [](const Posting& a, Slot s) { return a.slot < s; }) -
        p.begin());
  }
};

std::vector<Bm25Hit> Bm25Index::TopK(const std::string& user_id,
                                     const std::vector<std::string>& phrases, int k,
                                     Bm25Scan scan) const {
  std::vector<Bm25Hit> out;
  auto user_it = users_.find(user_id);
  if (user_it == users_.end() || k <= 0 || rows_ == 0) return out;
  const UserPostings& user = user_it->second;
  const double avgdl = static_cast<double>(tokens_) / static_cast<double>(rows_);

  std::vector<Cursor> cursors;
  for (size_t i = 0; i < phrases.size(); ++i) {
    auto term = term_ids_.find(phrases[i]);
    if (term == term_ids_.end()) continue;
    auto list = user.terms.find(term->second);
    if (list == user.terms.end()) continue;
    const double idf = Idf(term->second);
    const double bound = Bm25Share(idf, list->second.max_tf, list->second.min_length, avgdl);
    cursors.push_back({&list->second, i, idf, bound});
  }
  // Ascending bounds: the first `essential` lists together cannot reach the k-th score.
  std::sort(cursors.begin(), cursors.end(),
            [](const Cursor& a, const Cursor& b) { return a.bound < b.bound; });
  std::vector<double> below(cursors.size() + 1, 0.0);  // below[i]: bounds of lists < i
  for (size_t i = 0; i < cursors.size(); ++i) below[i + 1] = below[i] + cursors[i].bound;

  struct Candidate {
    double score;
    Slot slot;
  };
  // Worse first, for the heap of the best k: lower score, then the greater chunk id.
  const auto better = [&](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return user.slots[a.slot].chunk_id < user.slots[b.slot].chunk_id;
  };
  std::vector<Candidate> heap;
  const size_t want = static_cast<size_t>(k);
  double kth = -std::numeric_limits<double>::infinity();
  size_t essential = 0;  // lists [0, essential) only probed
  const bool prune = scan == Bm25Scan::kPruned;
  std::vector<double> shares(phrases.size(), 0.0);

  for (;;) {
    Slot slot = std::numeric_limits<Slot>::max();
    for (size_t i = essential; i < cursors.size(); ++i) {
      if (!cursors[i].done()) slot = std::min(slot, cursors[i].slot());
    }
    if (slot == std::numeric_limits<Slot>::max()) break;
    const ChunkSlot& chunk = user.slots[slot];
    const auto share = [&](const Cursor& c) {
      return Bm25Share(c.idf, c.list->postings[c.pos].tf, chunk.length, avgdl);
    };
    std::fill(shares.begin(), shares.end(), 0.0);
    double partial = 0;
    for (size_t i = essential; i < cursors.size(); ++i) {
      Cursor& c = cursors[i];
      if (c.done() || c.slot() != slot) continue;
      const double s = share(c);
      shares[c.phrase] = s;
      partial += s;
      ++c.pos;
    }
    bool given_up = false;
    for (size_t i = essential; i-- > 0;) {
      if (prune && ClearlyBelow(partial + below[i + 1], kth)) {
        given_up = true;
        break;
      }
      Cursor& c = cursors[i];
      c.SeekTo(slot);
      if (c.done() || c.slot() != slot) continue;
      const double s = share(c);
      shares[c.phrase] = s;
      partial += s;
    }
    if (given_up || chunk.chunk_id.empty()) continue;
    double score = 0.0;  // in query order, as FTS5 sums
    for (double s : shares) score += s;
    const Candidate cand{score, slot};
    if (heap.size() == want) {
      if (!better(cand, heap.front())) continue;
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = cand;
    } else {
      heap.push_back(cand);
    }
    std::push_heap(heap.begin(), heap.end(), better);
    if (heap.size() == want && prune) {
      kth = heap.front().score;
      while (essential < cursors.size() && ClearlyBelow(below[essential + 1], kth)) ++essential;
    }
  }
  std::sort_heap(heap.begin(), heap.end(), better);
  out.reserve(heap.size());
  for (const Candidate& c : heap) out.push_back({user.slots[c.slot].chunk_id, c.score});
  return out;
}

size_t Bm25Index::memory_bytes() const {
  size_t bytes = df_.capacity() * sizeof(int64_t);
  for (const auto& [term, id] : term_ids_) bytes += term.capacity() + 3 * sizeof(void*);
  for (const auto& [user_id, user] : users_) {
    for (const ChunkSlot& c : user.slots) {
      bytes += sizeof(ChunkSlot) + c.chunk_id.capacity() + c.terms.capacity() * sizeof(TermId);
    }
    for (const auto& [term, list] : user.terms) {
      bytes += sizeof(PostingList) + 3 * sizeof(void*) + list.postings.capacity() * sizeof(Posting);
    }
  }
  bytes += chunks_.size() * (sizeof(Where) + 40 + 3 * sizeof(void*));
  return bytes;
}

}  // namespace ingestd::search
