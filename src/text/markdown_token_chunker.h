// MarkdownTokenChunker ("markdown-tokens@1"): splits parsed markdown into chunks sized in
// cl100k_base tokens, the unit embedding models bill and limit by.
//
// Rules:
// - Blocks (see markdown_blocks.h): a heading starts a new chunk, except that a chunk holding
//   only headings and page markers so far keeps collecting ("# Page 1" + "## Intro" + text is
//   one chunk). Paragraphs, list items, code fences and tables are never split unless one
//   alone exceeds max_tokens; then it is cut at sentence ends / line breaks, and a sentence
//   still too long at token boundaries (block_splitter.h), into pieces of at most
//   max_tokens - overlap_tokens so that overlap still fits.
// - Blocks are packed into a chunk while it stays within max_tokens. Every chunk's
//   token_count is Tokenizer::Count(chunk.text) and is <= max_tokens.
// - Overlap: when a section continues into the next chunk, that chunk starts with up to
//   overlap_tokens tokens from the end of the previous one (fewer if its first block needs
//   the room). There is no overlap across a heading.
// - Lossless: chunk.text == markdown[char_start, char_end) (byte offsets). The chunks tile the
//   markdown once each chunk's overlap, [char_start, previous char_end), is removed: nothing
//   lost, nothing reordered; blank lines stay with the block before them.
// - heading_path: the heading titles in effect at the chunk's first non-heading block, joined
//   by " > " ("Intro > Setup"); "" before any heading.
// - page_start/page_end: the page in effect at the chunk's first and last block (overlap
//   excluded), from `<!-- page: N -->` lines or `# Page N` headings; 0 without markers.
// - id = UuidV5(document_id, "markdown-tokens@1:" + ord); document_id must be a UUID.
// - Empty or whitespace-only markdown gives no chunks. Invalid UTF-8 is repaired first
//   (utf8::Sanitize); offsets then refer to the repaired text (the pipeline's validate stage
//   already guarantees valid UTF-8).
// Immutable after construction; thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "text/chunker.h"
#include "text/tokenizer.h"

namespace ingestd {

struct MarkdownTokenChunkerOptions {
  // Hard cap per chunk. 512 keeps chunks focused for retrieval; the embedding API allows
  // 8192 per input. Must be >= 8.
  size_t max_tokens = 512;
  // Context repeated from the previous chunk within a section; more helps retrieval across
  // the cut, but costs tokens (embedding spend) on every chunk. Must be <= max_tokens / 2.
  size_t overlap_tokens = 64;
};

class MarkdownTokenChunker final : public Chunker {
 public:
  static constexpr std::string_view kName = "markdown-tokens@1";

  // Fails with INVALID_CHUNKER_OPTIONS when the options are out of range.
  static Result<std::unique_ptr<MarkdownTokenChunker>> Create(MarkdownTokenChunkerOptions options);
  // The defaults (512 / 64).
  MarkdownTokenChunker();

  std::string name() const override { return std::string(kName); }
  std::vector<Chunk> Split(std::string_view document_id, std::string_view markdown) const override;

 private:
  explicit MarkdownTokenChunker(MarkdownTokenChunkerOptions options);

  MarkdownTokenChunkerOptions options_;
  const Tokenizer& tok_;
};

}  // namespace ingestd
