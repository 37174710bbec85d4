#include "pdf/reading_order.h"

#include <algorithm>
#include <numeric>

namespace ingestd::pdf {

namespace {

// Boxes may overlap this much (ascenders, descenders, rounding) and still count as separate.
constexpr float kOverlapSlack = 1.5f;
// Recursion guard for pathological pages (thousands of tiny blocks).
constexpr int kMaxDepth = 64;
// Gaps this close to the widest one are cut at the same level.
constexpr float kGapTie = 1.0f;

// A vertical gutter must be at least this wide to read columns before rows.
constexpr float kMinGutter = 12.0f;

// Splits `idx` along one axis at its widest gaps (those within kGapTie of the widest), so
// that the strongest separation is decided first: a title gap before paragraph gaps, a
// column gutter before the rows inside the columns. One group when there is no gap;
// `widest` receives the widest gap.
template <typename Lo, typename Hi>
std::vector<std::vector<int>> Cut(const std::vector<TextBlock>& blocks, std::vector<int> idx, Lo lo,
                                  Hi hi, float* widest) {
  std::stable_sort(idx.begin(), idx.end(),
                   [&](int a, int b) { return lo(blocks[a].bbox) < lo(blocks[b].bbox); });
  std::vector<std::vector<int>> runs;  // maximal runs without a gap
  std::vector<float> gaps;             // gaps[i] separates runs[i] and runs[i + 1]
  float reach = 0;
  for (int i : idx) {
    const Box& box = blocks[i].bbox;
    if (runs.empty() || lo(box) > reach - kOverlapSlack) {
      if (!runs.empty()) gaps.push_back(lo(box) - reach);
      runs.emplace_back();
      reach = hi(box);
    }
    runs.back().push_back(i);
    reach = std::max(reach, hi(box));
  }
  *widest = gaps.empty() ? 0 : *std::max_element(gaps.begin(), gaps.end());
  std::vector<std::vector<int>> groups(1);
  for (size_t r = 0; r < runs.size(); ++r) {
    if (r > 0 && gaps[r - 1] >= *widest - kGapTie) groups.emplace_back();
    groups.back().insert(groups.back().end(), runs[r].begin(), runs[r].end());
  }
  return groups;
}

void Order(const std::vector<TextBlock>& blocks, std::vector<int> idx, int depth,
           std::vector<int>* out) {
  if (idx.size() <= 1 || depth > kMaxDepth) {
    out->insert(out->end(), idx.begin(), idx.end());
    return;
  }
  auto top = [](const Box& b) { return b.y0; };
  auto bottom = [](const Box& b) { return b.y1; };
  auto left = [](const Box& b) { return b.x0; };
  auto right = [](const Box& b) { return b.x1; };
  // Rows unless a clear gutter is wider than every row gap (side-by-side columns whose
  // paragraphs happen to line up).
  float row_gap = 0, gutter = 0;
  std::vector<std::vector<int>> groups = Cut(blocks, idx, top, bottom, &row_gap);
  std::vector<std::vector<int>> columns = Cut(blocks, std::move(idx), left, right, &gutter);
  if (groups.size() == 1 || (columns.size() > 1 && gutter >= kMinGutter && gutter > row_gap)) {
    groups = std::move(columns);
  }
  if (groups.size() == 1) {  // no cut either way: top to bottom, then left to right
    std::vector<int>& g = groups[0];
    std::stable_sort(g.begin(), g.end(), [&](int a, int b) {
      const Box &p = blocks[a].bbox, &q = blocks[b].bbox;
      return p.y0 != q.y0 ? p.y0 < q.y0 : p.x0 < q.x0;
    });
    out->insert(out->end(), g.begin(), g.end());
    return;
  }
  for (auto& g : groups) Order(blocks, std::move(g), depth + 1, out);
}

constexpr float kPageRefGap = 4.0f;       // character widths before a contents page number
constexpr float kMinColumnShare = 0.25f;  // of the page width, on each side of a gutter

TextBlock BlockOf(std::vector<TextLine> lines) {
  TextBlock b;
  b.bbox = lines.front().bbox;
  for (const TextLine& l : lines) {
    b.bbox = {std::min(b.bbox.x0, l.bbox.x0), std::min(b.bbox.y0, l.bbox.y0),
              std::max(b.bbox.x1, l.bbox.x1), std::max(b.bbox.y1, l.bbox.y1)};
  }
  b.lines = std::move(lines);
  return b;
}

// Splits one block at its widest qualifying gutter, recursively (three columns work too).
void SplitBlock(TextBlock block, float page_width, std::vector<TextBlock>* out) {
  std::vector<std::pair<float, float>> spans;  // x0, x1 of each line
  for (const TextLine& l : block.lines) spans.emplace_back(l.bbox.x0, l.bbox.x1);
  std::sort(spans.begin(), spans.end());
  float best_gap = 0, cut = 0, reach = spans.empty() ? 0 : spans.front().second;
  const float left_edge = spans.empty() ? 0 : spans.front().first;
  float right_edge = left_edge;
  for (const auto& span : spans) right_edge = std::max(right_edge, span.second);
  for (const auto& [x0, x1] : spans) {
    float gap = x0 - reach;
    bool wide_sides = reach - left_edge >= page_width * kMinColumnShare &&
                      right_edge - x0 >= page_width * kMinColumnShare;
    if (gap >= kMinGutter && gap > best_gap && wide_sides) {
      best_gap = gap;
      cut = x0;
    }
    reach = std::max(reach, x1);
  }
  if (best_gap == 0) {
    out->push_back(std::move(block));
    return;
  }
  std::vector<TextLine> left, right;
  for (TextLine& l : block.lines) (l.bbox.x0 < cut ? left : right).push_back(std::move(l));
  SplitBlock(BlockOf(std::move(left)), page_width, out);
  SplitBlock(BlockOf(std::move(right)), page_width, out);
}

bool SameBaseline(const TextLine& a, const TextLine& b) {
  float overlap = std::min(a.bbox.y1, b.bbox.y1) - std::max(a.bbox.y0, b.bbox.y0);
  float smaller = std::min(a.bbox.height(), b.bbox.height());
  return smaller > 0 && overlap >= smaller * 0.5f && b.bbox.x0 >= a.bbox.x1 - kOverlapSlack;
}

}  // namespace

void SplitColumns(std::vector<TextBlock>* blocks, float page_width) {
  std::vector<TextBlock> out;
  out.reserve(blocks->size());
  for (TextBlock& b : *blocks) {
    if (b.lines.size() < 2) {
      out.push_back(std::move(b));
    } else {
      SplitBlock(std::move(b), page_width, &out);
    }
  }
  *blocks = std::move(out);
}

void MergeBaselines(TextBlock* block) {
  std::vector<TextLine> merged;
  for (TextLine& line : block->lines) {
    if (merged.empty() || !SameBaseline(merged.back(), line)) {
      merged.push_back(std::move(line));
      continue;
    }
    TextLine& a = merged.back();
    // Style follows the longer part; geometry covers both.
    if (line.text.size() > a.text.size()) {
      a.size = line.size;
      a.bold = line.bold;
      a.mono = line.mono;
    }
    // "10 The stats package        1403": a contents entry without dot leaders.
    bool number =
        !line.text.empty() && line.text.find_first_not_of("0123456789ivxlc ") == std::string::npos;
    float gap = line.bbox.x0 - a.bbox.x1;
    a.page_ref = number && gap > kPageRefGap * std::max(a.char_width, 1.0f);
    size_t chars = a.text.size() + line.text.size() + 1;
    a.char_width = (a.char_width * a.text.size() + line.char_width * line.text.size()) / chars;
    a.text += ' ' + line.text;
    a.bbox = {std::min(a.bbox.x0, line.bbox.x0), std::min(a.bbox.y0, line.bbox.y0),
              std::max(a.bbox.x1, line.bbox.x1), std::max(a.bbox.y1, line.bbox.y1)};
  }
  block->lines = std::move(merged);
}

void OrderBlocks(std::vector<TextBlock>* blocks) {
  std::vector<int> idx(blocks->size());
  std::iota(idx.begin(), idx.end(), 0);
  std::vector<int> order;
  order.reserve(idx.size());
  Order(*blocks, std::move(idx), 0, &order);
  std::vector<TextBlock> sorted;
  sorted.reserve(blocks->size());
  for (int i : order) sorted.push_back(std::move((*blocks)[i]));
  *blocks = std::move(sorted);
}

}  // namespace ingestd::pdf
