// SimpleChunker ("markdown-simple@1"): splits markdown at headings and paragraphs under a
// size cap. Replaced by a token-aware chunker later; its chunk ids stay distinct because the
// name@version is part of every id.
//
// Rules (blocks come from ScanMarkdownBlocks, shared with the token-aware chunker):
// - A heading line (#..######) starts a new chunk, except that a chunk holding only headings
//   and page markers so far keeps collecting ("# Page 1" + "## Intro" + text is one chunk).
// - heading_path is the heading hierarchy at the chunk's end: "Page 1 > Intro".
// - Paragraphs, list items, fenced code blocks and tables are packed into a chunk while it
//   stays within max_chunk_bytes; one is split only if it cannot fit in a chunk of its own,
//   at the last whitespace before the cap (or at a UTF-8 boundary).
// - Chunk text is exactly markdown[char_start, char_end): offsets and the cap are in bytes
//   of UTF-8 (equal to characters for ASCII).
// - page_start/page_end: the page in effect at the chunk's first and last block, from
//   "# Page N" headings or "<!-- page: N -->" lines; 0 before any marker.
// - token_count = EstimateTokens(text); id = UuidV5(document_id, "markdown-simple@1:" + ord).
// - Empty or whitespace-only markdown gives no chunks.
// Stateless after construction; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "text/chunker.h"

namespace ingestd {

class SimpleChunker final : public Chunker {
 public:
  static constexpr std::string_view kName = "markdown-simple@1";
  static constexpr size_t kDefaultMaxChunkBytes = 2000;

  // max_chunk_bytes must be at least 16 (smaller values are raised to 16).
  explicit SimpleChunker(size_t max_chunk_bytes = kDefaultMaxChunkBytes);

  std::string name() const override { return std::string(kName); }
  std::vector<Chunk> Split(std::string_view document_id, std::string_view markdown) const override;

 private:
  size_t cap_;
};

}  // namespace ingestd
