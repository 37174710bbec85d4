#include "text/tokenizer.h"

#include <array>
#include <cstdio>
#include <cstdlib>

#include "text/bpe_cache.h"
#include "text/cl100k_data.h"
#include "text/pretokenizer.h"
#include "text/utf8.h"

namespace ingestd {
namespace {

struct Special {
  std::string_view text;
  int id;
};
constexpr std::array<Special, 5> kSpecials = {{
    {"<|endoftext|>", 100257},
    {"<|fim_prefix|>", 100258},
    {"<|fim_middle|>", 100259},
    {"<|fim_suffix|>", 100260},
    {"<|endofprompt|>", 100276},
}};

// The next allowed special token in text at or after from: {offset, special} or {npos, …}.
std::pair<size_t, const Special*> FindSpecial(std::string_view text, size_t from) {
  for (size_t at = text.find("<|", from); at != std::string_view::npos;
       at = text.find("<|", at + 1)) {
    for (const Special& s : kSpecials) {
      if (text.substr(at).starts_with(s.text)) return {at, &s};
    }
  }
  return {std::string_view::npos, nullptr};
}

// Runs fn on text itself when it is valid UTF-8, else on a repaired copy.
template <typename Fn>
auto WithValidUtf8(std::string_view text, Fn&& fn) {
  if (utf8::IsValid(text)) return fn(text);
  std::string repaired = utf8::Sanitize(text);
  return fn(std::string_view(repaired));
}

}  // namespace

Tokenizer::Tokenizer(RankTable ranks) : ranks_(std::move(ranks)) {}

const Tokenizer& Tokenizer::Cl100kBase() {
  static const Tokenizer* instance = [] {
    Result<RankTable> ranks = RankTable::Parse(Cl100kTiktokenFile());
    if (!ranks.ok()) {
      std::fprintf(stderr, "ingestd: embedded cl100k_base data: %s\n",
                   ranks.status().ToString().c_str());
      std::abort();
    }
    Pretokenizer::Get();  // compile the pattern up front, not inside the first request
    return new Tokenizer(std::move(ranks).value());
  }();
  return *instance;
}

template <typename Sink>
void Tokenizer::Walk(std::string_view text, SpecialTokens special, Sink&& sink) const {
  const Pretokenizer& pre = Pretokenizer::Get();
  size_t pos = 0;
  while (pos < text.size()) {
    auto [at, sp] = special == SpecialTokens::kAllow
                        ? FindSpecial(text, pos)
                        : std::pair<size_t, const Special*>{std::string_view::npos, nullptr};
    std::string_view plain = text.substr(pos, at == std::string_view::npos ? at : at - pos);
    pre.ForEachPiece(plain, [&](std::string_view piece) { sink(piece); });
    if (sp == nullptr) break;
    sink(sp->id);
    pos = at + sp->text.size();
  }
}

void Tokenizer::AppendPieceIds(std::string_view piece, std::vector<int>* ids) const {
  if (int r = ranks_.Find(piece); r != RankTable::kNotFound) {
    ids->push_back(r);
  } else {
    BytePairEncodeCached(piece, ranks_, ids);
  }
}

std::vector<int> Tokenizer::Encode(std::string_view text, SpecialTokens special) const {
  return WithValidUtf8(text, [&](std::string_view valid) {
    std::vector<int> ids;
    ids.reserve(valid.size() / 4 + 1);
    Walk(valid, special, [&](auto item) {
      if constexpr (std::is_same_v<decltype(item), int>) {
        ids.push_back(item);
      } else {
        AppendPieceIds(item, &ids);
      }
    });
    return ids;
  });
}

size_t Tokenizer::Count(std::string_view text, SpecialTokens special) const {
  return WithValidUtf8(text, [&](std::string_view valid) {
    size_t count = 0;
    std::vector<int> scratch;
    Walk(valid, special, [&](auto item) {
      if constexpr (std::is_same_v<decltype(item), int>) {
        ++count;
      } else {
        scratch.clear();
        AppendPieceIds(item, &scratch);
        count += scratch.size();
      }
    });
    return count;
  });
}

std::string_view Tokenizer::TokenBytes(int id) const {
  std::string_view bytes = ranks_.Bytes(id);
  if (!bytes.empty()) return bytes;
  for (const Special& s : kSpecials) {
    if (s.id == id) return s.text;
  }
  return {};
}

Result<std::string> Tokenizer::Decode(std::span<const int> ids) const {
  std::string out;
  for (int id : ids) {
    std::string_view bytes = TokenBytes(id);
    if (bytes.empty()) {
      return Status::InvalidArgument("INVALID_TOKEN_ID",
                                     "token id " + std::to_string(id) + " is not in cl100k_base");
    }
    out.append(bytes);
  }
  return out;
}

size_t Tokenizer::TruncatedLength(std::string_view text, size_t max_tokens) const {
  // Only the pieces up to the limit are encoded (each piece is cut as in the whole text).
  const Pretokenizer& pre = Pretokenizer::Get();
  std::vector<int> ids;
  size_t pos = 0;
  while (pos < text.size() && ids.size() <= max_tokens) {
    const size_t end = pre.NextPieceEnd(text, pos);
    AppendPieceIds(text.substr(pos, end - pos), &ids);
    pos = end;
  }
  if (ids.size() <= max_tokens) return text.size();
  // Keep the last token boundary that is also a character boundary and whose prefix
  // re-encodes within the limit (re-encoding a prefix can merge its final piece differently,
  // so the count is checked, not assumed).
  std::vector<size_t> ends(max_tokens + 1, 0);
  for (size_t i = 0; i < max_tokens; ++i) ends[i + 1] = ends[i] + TokenBytes(ids[i]).size();
  for (size_t k = max_tokens; k > 0; --k) {
    if (utf8::IsBoundary(text, ends[k]) && Count(text.substr(0, ends[k])) <= max_tokens) {
      return ends[k];
    }
  }
  return 0;
}

std::string Tokenizer::Truncate(std::string_view text, size_t max_tokens) const {
  return WithValidUtf8(text, [&](std::string_view valid) {
    return std::string(valid.substr(0, TruncatedLength(valid, max_tokens)));
  });
}

}  // namespace ingestd
