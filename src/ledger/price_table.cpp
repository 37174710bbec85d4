#include "ledger/price_table.h"

namespace ingestd {

int64_t PriceTable::EmbedCost(const std::string& model, int64_t tokens) const {
  // "text-embedding-3-small@512" (shortened vectors) costs what the model costs.
  auto it = embed_nanos_per_token.find(model.substr(0, model.find('@')));
  return it == embed_nanos_per_token.end() ? 0 : it->second * tokens;
}

int64_t PriceTable::ParseCost(int64_t pages, bool cache_hit) const {
  return cache_hit ? 0 : pages * parse_credits_per_page * parse_nanos_per_credit;
}

}  // namespace ingestd
