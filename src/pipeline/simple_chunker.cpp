#include "pipeline/simple_chunker.h"

#include <algorithm>

#include "core/ids.h"
#include "services/token_estimate.h"
#include "text/markdown_blocks.h"

namespace ingestd {
namespace {

constexpr size_t kMinCap = 16;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Packs blocks into chunks; see the rules in simple_chunker.h.
class Packer {
 public:
  Packer(std::string_view doc_id, std::string_view md, size_t cap)
      : doc_id_(doc_id), md_(md), cap_(cap) {}

  // [begin, end) is the block without surrounding whitespace.
  void AddHeading(const MarkdownBlock& b, size_t begin, size_t end) {
    if (has_body_ || (!empty() && end - begin_ > cap_)) Flush();
    while (!path_.empty() && path_.back().first >= b.level) path_.pop_back();
    path_.emplace_back(b.level, b.title);
    Append(begin, end, b.page, /*body=*/false);
  }

  // A page marker rides along with whatever surrounds it.
  void AddPageMarker(const MarkdownBlock& b, size_t begin, size_t end) {
    if (!empty() && end - begin_ > cap_) Flush();
    Append(begin, end, b.page, /*body=*/false);
  }

  void AddParagraph(const MarkdownBlock& b, size_t begin, size_t end) {
    if (!empty() && end - begin_ > cap_ && end - begin <= cap_) Flush();
    Append(begin, end, b.page, /*body=*/true);
  }

  std::vector<Chunk> Finish() {
    Flush();
    return std::move(chunks_);
  }

 private:
  bool empty() const { return end_ == 0; }

  // Extends the current chunk with md[from, to), splitting where the cap forces it.
  void Append(size_t from, size_t to, int page, bool body) {
    size_t pos = from;
    while (pos < to) {
      const size_t limit = (empty() ? pos : begin_) + cap_;
      size_t cut = to <= limit ? to : CutBefore(pos, limit);
      if (cut == 0) {  // nothing fits after the current content
        Flush();
        continue;
      }
      if (empty()) {
        begin_ = pos;
        page_start_ = page;
      }
      end_ = cut;
      page_end_ = page;
      has_body_ = has_body_ || body;
      if (cut == to) return;
      Flush();
      pos = cut;
      while (pos < to && IsSpace(md_[pos])) ++pos;
    }
  }

  // The end of the longest prefix of md[pos, limit] that ends at whitespace; a hard cut at a
  // UTF-8 boundary when the chunk is empty and no whitespace exists; 0 when nothing fits.
  size_t CutBefore(size_t pos, size_t limit) const {
    for (size_t i = limit; i > pos; --i) {
      if (!IsSpace(md_[i])) continue;
      size_t end = i;
      while (end > pos && IsSpace(md_[end - 1])) --end;
      if (end > pos) return end;
    }
    if (!empty()) return 0;
    size_t cut = limit;
    while (cut > pos + 1 && (static_cast<unsigned char>(md_[cut]) & 0xC0) == 0x80) --cut;
    return cut;
  }

  void Flush() {
    if (empty()) return;
    Chunk c;
    c.ord = static_cast<int>(chunks_.size());
    c.id = UuidV5(doc_id_, std::string(SimpleChunker::kName) + ":" + std::to_string(c.ord));
    c.document_id = std::string(doc_id_);
    c.text = std::string(md_.substr(begin_, end_ - begin_));
    for (const auto& [level, title] : path_) {
      if (title.empty()) continue;
      if (!c.heading_path.empty()) c.heading_path += " > ";
      c.heading_path += title;
    }
    c.token_count = static_cast<int>(EstimateTokens(c.text));
    c.char_start = static_cast<int64_t>(begin_);
    c.char_end = static_cast<int64_t>(end_);
    c.page_start = page_start_;
    c.page_end = page_end_;
    chunks_.push_back(std::move(c));
    begin_ = end_ = 0;
    has_body_ = false;
  }

  std::string_view doc_id_;
  std::string_view md_;
  size_t cap_;
  size_t begin_ = 0, end_ = 0;  // the current chunk; end_ == 0 means none
  int page_start_ = 0, page_end_ = 0;
  bool has_body_ = false;
  std::vector<std::pair<int, std::string_view>> path_;  // (level, title)
  std::vector<Chunk> chunks_;
};

}  // namespace

SimpleChunker::SimpleChunker(size_t max_chunk_bytes) : cap_(std::max(max_chunk_bytes, kMinCap)) {}

std::vector<Chunk> SimpleChunker::Split(std::string_view document_id,
                                        std::string_view markdown) const {
  Packer packer(document_id, markdown, cap_);
  for (const MarkdownBlock& b : ScanMarkdownBlocks(markdown)) {
    size_t begin = b.begin, end = b.end;
    while (begin < end && IsSpace(markdown[begin])) ++begin;
    while (end > begin && IsSpace(markdown[end - 1])) --end;
    if (begin == end) continue;
    switch (b.kind) {
      case BlockKind::kHeading:
        packer.AddHeading(b, begin, end);
        break;
      case BlockKind::kPageMarker:
        packer.AddPageMarker(b, begin, end);
        break;
      default:
        packer.AddParagraph(b, begin, end);
        break;  // lists, code, tables too
    }
  }
  return packer.Finish();
}

}  // namespace ingestd
