// The markdown chunker on any bytes (small limits so splitting paths run): every chunk is
// within max_tokens and is the slice [char_start, char_end) of the (repaired) markdown.
#include "fuzz_target.h"
#include "text/markdown_token_chunker.h"
#include "text/utf8.h"

INGESTD_FUZZ_TARGET(chunker) {
  static const auto chunker =
      ingestd::MarkdownTokenChunker::Create({.max_tokens = 16, .overlap_tokens = 4});
  const std::string_view markdown = ingestd::fuzz::AsText(data, size);
  const auto chunks = (*chunker)->Split("6f1c2f4e-8a55-4b8e-9a55-3d3c1f0b2a11", markdown);
  const std::string repaired = ingestd::utf8::Sanitize(markdown);
  for (const auto& c : chunks) {
    if (c.token_count > 16 || c.char_start < 0 || c.char_start > c.char_end ||
        static_cast<size_t>(c.char_end) > repaired.size()) {
      __builtin_trap();
    }
    const auto at = static_cast<size_t>(c.char_start);
    if (repaired.compare(at, static_cast<size_t>(c.char_end) - at, c.text) != 0) __builtin_trap();
  }
  return 0;
}
