#include "services/local_embedder.h"

#include <cctype>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "core/crypto.h"
#include "services/det_random.h"
#include "text/tokenizer.h"

namespace ingestd {
namespace {

// A token's feature is its text without the leading whitespace cl100k glues on, so " model"
// (mid-sentence) and "model" (a query's first word) are one feature. Keys are FNV-1a of that
// text; a bigram mixes its two keys (asymmetrically, so order counts).
uint64_t BigramKey(uint64_t first, uint64_t second) {
  return SplitMix64(first).Next() ^ (second * 0x9e3779b97f4a7c15ull + 1);
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

LocalEmbedder::LocalEmbedder(int dimensions)
    : dimensions_(dimensions), model_(std::string(kModelPrefix) + std::to_string(dimensions)) {}

std::vector<float> LocalEmbedder::VectorFor(std::string_view text, size_t* tokens) const {
  const Tokenizer& tokenizer = Tokenizer::Cl100kBase();
  const std::vector<int> ids = tokenizer.Encode(AsciiLower(text));
  if (tokens != nullptr) *tokens = ids.size();
  std::unordered_map<uint64_t, int> tf;
  std::optional<uint64_t> previous;
  for (int id : ids) {
    std::string_view word = tokenizer.TokenBytes(id);
    while (!word.empty() && std::isspace(static_cast<unsigned char>(word.front()))) {
      word.remove_prefix(1);
    }
    if (word.empty()) continue;  // whitespace carries no meaning, and does not break a bigram
    const uint64_t key = Fnv1a64(word);
    ++tf[key];
    if (previous) ++tf[BigramKey(*previous, key)];
    previous = key;
  }
  std::vector<double> sum(static_cast<size_t>(dimensions_), 0.0);
  for (const auto& [key, count] : tf) {
    // One SplitMix64 step is a strong 64-bit mix of the key: low bits pick the bucket, the
    // top bit the sign, so collisions cancel on average instead of piling up.
    const uint64_t h = SplitMix64(key).Next();
    const double weight = 1.0 + std::log(static_cast<double>(count));
    sum[h % static_cast<uint64_t>(dimensions_)] += (h >> 63) != 0 ? -weight : weight;
  }
  double norm2 = 0;
  for (double v : sum) norm2 += v * v;
  const double inv = norm2 > 0 ? 1.0 / std::sqrt(norm2) : 0.0;
  std::vector<float> out(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) out[i] = static_cast<float>(sum[i] * inv);
  return out;
}

Result<EmbedOutput> LocalEmbedder::Embed(const std::vector<std::string>& texts,
                                         const CallContext& /*ctx*/) {
  EmbedOutput out;
  out.model = model_;
  out.dimensions = dimensions_;
  out.implementation = "local";
  out.vectors.reserve(texts.size());
  for (const std::string& t : texts) {
    size_t tokens = 0;
    out.vectors.push_back(VectorFor(t, &tokens));
    out.total_tokens += static_cast<int64_t>(tokens);
  }
  return out;
}

}  // namespace ingestd
