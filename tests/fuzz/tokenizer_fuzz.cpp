// cl100k_base on any bytes: Count agrees with Encode, valid text round-trips, Truncate gives
// a prefix within the limit.
#include "fuzz_target.h"
#include "text/tokenizer.h"

INGESTD_FUZZ_TARGET(tokenizer) {
  const auto& tok = ingestd::Tokenizer::Cl100kBase();
  const std::string_view text = ingestd::fuzz::AsText(data, size);
  const std::vector<int> ids = tok.Encode(text);
  if (tok.Count(text) != ids.size()) __builtin_trap();
  auto decoded = tok.Decode(ids);
  if (!decoded.ok()) __builtin_trap();
  const std::vector<int> special = tok.Encode(text, ingestd::SpecialTokens::kAllow);
  if (!tok.Decode(special).ok()) __builtin_trap();
  const size_t limit = size % 17;
  if (tok.Count(tok.Truncate(text, limit)) > limit) __builtin_trap();
  return 0;
}
