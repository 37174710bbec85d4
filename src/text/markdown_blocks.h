// Markdown block scanner for the chunkers: cuts parsed markdown into the units that must not
// be split (headings, paragraphs, list items, fenced code, tables) and tracks page markers.
//
// Blocks tile the input: block i spans [begin, next block's begin), so blank lines belong to
// the block before them and leading blank lines to the first block; nothing is dropped.
//
// Page markers: a line `<!-- page: N -->` (what ingestd's local parser emits), or an ATX
// heading `# Page N` (the mock parser's form, which is also a heading). Each block carries the
// page in effect where it starts: 0 until the first marker.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace ingestd {

enum class BlockKind { kHeading, kPageMarker, kParagraph, kListItem, kCode, kTable };

struct MarkdownBlock {
  BlockKind kind = BlockKind::kParagraph;
  size_t begin = 0;
  size_t end = 0;
  int level = 0;           // 1..6 for headings
  std::string_view title;  // heading text without #s, trimmed
  int page = 0;            // page in effect at begin (a marker's own page)
};

std::vector<MarkdownBlock> ScanMarkdownBlocks(std::string_view markdown);

}  // namespace ingestd
