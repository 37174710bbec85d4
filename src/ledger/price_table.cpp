#include "ledger/price_table.h"

#include <cmath>

namespace ingestd {
namespace {

std::string ModelOf(const std::string& tag) { return tag.substr(0, tag.find('@')); }

int64_t TokenCost(const std::map<std::string, int64_t>& nanos_per_mtok, const std::string& model,
                  int64_t tokens) {
  auto it = nanos_per_mtok.find(ModelOf(model));
  if (it == nanos_per_mtok.end() || tokens <= 0) return 0;
  return (tokens * it->second + 999'999) / 1'000'000;
}

}  // namespace

bool PriceTable::HasEmbedPrice(const std::string& model) const {
  return embed_nanos_per_mtok.contains(ModelOf(model));
}

bool PriceTable::HasParsePrice(const std::string& tier) const {
  return parse_credits_per_page.contains(tier);
}

int64_t PriceTable::EmbedCost(const std::string& model, int64_t tokens) const {
  return TokenCost(embed_nanos_per_mtok, model, tokens);
}

int64_t PriceTable::EmbedBatchCost(const std::string& model, int64_t tokens) const {
  return TokenCost(embed_batch_nanos_per_mtok, model, tokens);
}

int64_t PriceTable::ParseNanosPerPage() const {
  auto it = parse_credits_per_page.find(parse_tier);
  if (it == parse_credits_per_page.end()) return 0;
  return std::llround(it->second * static_cast<double>(parse_nanos_per_credit));
}

int64_t PriceTable::ParseCost(int64_t pages, bool cache_hit) const {
  return cache_hit || pages <= 0 ? 0 : pages * ParseNanosPerPage();
}

}  // namespace ingestd
