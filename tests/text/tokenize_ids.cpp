// Test helper for compare_reference.js: encodes a file with ingestd's cl100k_base tokenizer,
// checks Count() == Encode().size() and, for valid UTF-8, decode(encode(x)) == x, then writes
// the ids to OUT as little-endian int32.
//
// usage: tokenize_ids INPUT OUT        exit 0 ok, 1 I/O error, 3 invariant broken
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "text/tokenizer.h"
#include "text/utf8.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s INPUT OUT\n", argv[0]);
    return 1;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto& tok = ingestd::Tokenizer::Cl100kBase();
  const std::vector<int> ids = tok.Encode(text);
  if (tok.Count(text) != ids.size()) {
    std::fprintf(stderr, "Count() != Encode().size()\n");
    return 3;
  }
  if (ingestd::utf8::IsValid(text)) {
    auto decoded = tok.Decode(ids);
    if (!decoded.ok() || *decoded != text) {
      std::fprintf(stderr, "decode(encode(x)) != x\n");
      return 3;
    }
  }
  std::ofstream out(argv[2], std::ios::binary);
  out.write(reinterpret_cast<const char*>(ids.data()),
            static_cast<std::streamsize>(ids.size() * sizeof(int)));
  std::fprintf(stderr, "tokenize_ids: %zu bytes -> %zu tokens\n", text.size(), ids.size());
  return out ? 0 : 1;
}
