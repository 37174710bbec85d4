#include "pipeline/simple_chunker.h"

#include <algorithm>

#include "core/ids.h"
#include "services/token_estimate.h"

namespace ingestd {
namespace {

constexpr size_t kMinCap = 16;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A heading line or a paragraph (one fenced code block counts as a paragraph).
struct Block {
  size_t begin = 0;  // first non-blank byte
  size_t end = 0;    // one past the last non-blank byte
  int level = 0;     // 1..6 for headings, 0 for paragraphs
  std::string_view title;
};

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// "### Title ##" → level 3, "Title"; 0 when the line is not an ATX heading.
int HeadingLevel(std::string_view line, std::string_view* title) {
  size_t hashes = 0;
  while (hashes < line.size() && line[hashes] == '#') ++hashes;
  if (hashes == 0 || hashes > 6) return 0;
  if (hashes < line.size() && line[hashes] != ' ' && line[hashes] != '\t') return 0;
  std::string_view t = TrimView(line.substr(hashes));
  while (!t.empty() && t.back() == '#') t.remove_suffix(1);
  *title = TrimView(t);
  return static_cast<int>(hashes);
}

bool IsFence(std::string_view line) {
  return line.substr(0, 3) == "```" || line.substr(0, 3) == "~~~";
}

std::vector<Block> ScanBlocks(std::string_view md) {
  std::vector<Block> blocks;
  bool in_para = false, in_fence = false;
  for (size_t ls = 0; ls < md.size();) {
    size_t le = std::min(md.find('\n', ls), md.size());
    std::string_view raw = md.substr(ls, le - ls);
    std::string_view line = TrimView(raw);
    const size_t content_begin = ls + (line.empty() ? 0 : line.data() - raw.data());
    const size_t content_end = content_begin + line.size();
    std::string_view title;
    if (in_fence) {
      blocks.back().end = content_end > ls ? content_end : blocks.back().end;
      if (IsFence(line)) in_fence = false;
    } else if (line.empty()) {
      in_para = false;
    } else if (int level = HeadingLevel(line, &title); level > 0) {
      blocks.push_back({content_begin, content_end, level, title});
      in_para = false;
    } else if (in_para && !IsFence(line)) {
      blocks.back().end = content_end;
    } else {
      blocks.push_back({content_begin, content_end, 0, {}});
      in_fence = IsFence(line);
      in_para = !in_fence;
    }
    ls = le + 1;
  }
  return blocks;
}

// Packs blocks into chunks; see the rules in simple_chunker.h.
class Packer {
 public:
  Packer(std::string_view doc_id, std::string_view md, size_t cap)
      : doc_id_(doc_id), md_(md), cap_(cap) {}

  void AddHeading(const Block& b) {
    if (has_body_ || (!empty() && b.end - begin_ > cap_)) Flush();
    while (!path_.empty() && path_.back().first >= b.level) path_.pop_back();
    path_.emplace_back(b.level, b.title);
    Append(b.begin, b.end, /*body=*/false);
  }

  void AddParagraph(const Block& b) {
    if (!empty() && b.end - begin_ > cap_ && b.end - b.begin <= cap_) Flush();
    Append(b.begin, b.end, /*body=*/true);
  }

  std::vector<Chunk> Finish() {
    Flush();
    return std::move(chunks_);
  }

 private:
  bool empty() const { return end_ == 0; }

  // Extends the current chunk with md[from, to), splitting where the cap forces it.
  void Append(size_t from, size_t to, bool body) {
    size_t pos = from;
    while (pos < to) {
      const size_t limit = (empty() ? pos : begin_) + cap_;
      size_t cut = to <= limit ? to : CutBefore(pos, limit);
      if (cut == 0) {  // nothing fits after the current content
        Flush();
        continue;
      }
      if (empty()) begin_ = pos;
      end_ = cut;
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
    chunks_.push_back(std::move(c));
    begin_ = end_ = 0;
    has_body_ = false;
  }

  std::string_view doc_id_;
  std::string_view md_;
  size_t cap_;
  size_t begin_ = 0, end_ = 0;  // the current chunk; end_ == 0 means none
  bool has_body_ = false;
  std::vector<std::pair<int, std::string_view>> path_;  // (level, title)
  std::vector<Chunk> chunks_;
};

}  // namespace

SimpleChunker::SimpleChunker(size_t max_chunk_bytes) : cap_(std::max(max_chunk_bytes, kMinCap)) {}

std::vector<Chunk> SimpleChunker::Split(std::string_view document_id,
                                        std::string_view markdown) const {
  Packer packer(document_id, markdown, cap_);
  for (const Block& b : ScanBlocks(markdown)) {
    if (b.level > 0) {
      packer.AddHeading(b);
    } else {
      packer.AddParagraph(b);
    }
  }
  return packer.Finish();
}

}  // namespace ingestd
