#include "text/markdown_blocks.h"

#include <algorithm>
#include <charconv>

namespace ingestd {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

size_t Indent(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && (line[n] == ' ' || line[n] == '\t')) ++n;
  return n;
}

// Non-negative integer filling all of s, or -1.
int ParsePage(std::string_view s) {
  int n = -1;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return ec == std::errc() && ptr == s.data() + s.size() && n >= 0 ? n : -1;
}

// "### Title ##" → 3 and "Title"; 0 if not an ATX heading (up to 3 spaces of indent).
int HeadingLevel(std::string_view line, std::string_view* title) {
  if (Indent(line) > 3) return 0;
  line = Trim(line);
  size_t hashes = 0;
  while (hashes < line.size() && line[hashes] == '#') ++hashes;
  if (hashes == 0 || hashes > 6) return 0;
  if (hashes < line.size() && line[hashes] != ' ' && line[hashes] != '\t') return 0;
  std::string_view t = Trim(line.substr(hashes));
  while (!t.empty() && t.back() == '#') t.remove_suffix(1);
  *title = Trim(t);
  return static_cast<int>(hashes);
}

// `<!-- page: N -->` → N, else -1.
int PageMarker(std::string_view line) {
  line = Trim(line);
  if (!line.starts_with("<!--") || !line.ends_with("-->")) return -1;
  std::string_view body = Trim(line.substr(4, line.size() - 7));
  if (!body.starts_with("page:")) return -1;
  return ParsePage(Trim(body.substr(5)));
}

// "```" / "~~~" fences: the fence char and run length, or 0.
size_t FenceLength(std::string_view line, char* fence_char) {
  if (Indent(line) > 3) return 0;
  line = line.substr(Indent(line));
  if (line.empty() || (line[0] != '`' && line[0] != '~')) return 0;
  size_t n = 0;
  while (n < line.size() && line[n] == line[0]) ++n;
  if (n < 3) return 0;
  *fence_char = line[0];
  return n;
}

bool IsListItem(std::string_view line) {
  line = line.substr(Indent(line));
  if (line.size() >= 2 && (line[0] == '-' || line[0] == '*' || line[0] == '+') &&
      (line[1] == ' ' || line[1] == '\t')) {
    return true;
  }
  size_t digits = 0;
  while (digits < line.size() && digits < 10 && line[digits] >= '0' && line[digits] <= '9') {
    ++digits;
  }
  return digits > 0 && digits + 1 < line.size() && (line[digits] == '.' || line[digits] == ')') &&
         (line[digits + 1] == ' ' || line[digits + 1] == '\t');
}

bool IsTableRow(std::string_view line) { return Trim(line).starts_with('|'); }

}  // namespace

std::vector<MarkdownBlock> ScanMarkdownBlocks(std::string_view md) {
  std::vector<MarkdownBlock> blocks;
  int page = 0;
  bool prev_blank = true;
  char fence_char = 0;
  size_t fence_len = 0;  // > 0 while inside a fenced block
  auto start = [&](BlockKind kind, size_t at) -> MarkdownBlock& {
    MarkdownBlock b;
    b.kind = kind;
    b.begin = blocks.empty() ? 0 : at;  // leading blank lines join the first block
    b.page = page;
    if (!blocks.empty()) blocks.back().end = at;
    blocks.push_back(b);
    return blocks.back();
  };
  for (size_t ls = 0; ls < md.size();) {
    size_t le = std::min(md.find('\n', ls), md.size() - 1) + 1;
    std::string_view line = md.substr(ls, le - ls);
    const bool blank = Trim(line).empty();
    char c = 0;
    std::string_view title;
    if (fence_len > 0) {
      size_t n = FenceLength(line, &c);
      if (n >= fence_len && c == fence_char && Trim(line.substr(Indent(line) + n)).empty()) {
        fence_len = 0;
      }
    } else if (blank) {
      // Belongs to the block before it.
    } else if (int n = PageMarker(line); n >= 0) {
      page = n;
      start(BlockKind::kPageMarker, ls);
    } else if (int level = HeadingLevel(line, &title); level > 0) {
      if (title.starts_with("Page ") && ParsePage(title.substr(5)) >= 0) {
        page = ParsePage(title.substr(5));
      }
      MarkdownBlock& b = start(BlockKind::kHeading, ls);
      b.level = level;
      b.title = title;
    } else if (size_t n = FenceLength(line, &c); n > 0) {
      start(BlockKind::kCode, ls);
      fence_char = c;
      fence_len = n;
    } else if (IsTableRow(line)) {
      if (prev_blank || blocks.back().kind != BlockKind::kTable) start(BlockKind::kTable, ls);
    } else if (IsListItem(line)) {
      start(BlockKind::kListItem, ls);
    } else {
      const BlockKind open = blocks.empty() ? BlockKind::kHeading : blocks.back().kind;
      const bool continues =
          (!prev_blank && (open == BlockKind::kParagraph || open == BlockKind::kListItem)) ||
          (prev_blank && open == BlockKind::kListItem && Indent(line) >= 2);
      if (!continues) start(BlockKind::kParagraph, ls);
    }
    prev_blank = blank && fence_len == 0;
    ls = le;
  }
  if (!blocks.empty()) blocks.back().end = md.size();
  return blocks;
}

}  // namespace ingestd
