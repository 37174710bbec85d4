#include "pdf/heading_levels.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "pdf/text_join.h"

namespace ingestd::pdf {

namespace {

constexpr float kLargerRatio = 1.12f;  // "larger than body" starts here
constexpr float kSameClass = 0.6f;     // points: sizes closer than this are one class
constexpr int kMaxLines = 3;
constexpr size_t kMaxChars = 160;
constexpr int kMaxSizeLevels = 5;  // a sixth level is left for bold body-size headings

enum class Shape { kNone, kLarger, kBold };

float Round(float size) { return std::round(size * 2) / 2; }

// Whether `block` looks like a heading, and which kind. Uses only its visible lines.
Shape ShapeOf(const TextBlock& block, float body, float* size) {
  int lines = 0;
  size_t chars = 0;
  bool all_bold = true, any_letter = false;
  float first = 0;
  for (const TextLine& l : block.lines) {
    if (l.removed) continue;
    if (l.mono || ++lines > kMaxLines) return Shape::kNone;
    if (lines == 1) first = l.size;
    if (std::fabs(l.size - first) > kSameClass) return Shape::kNone;
    all_bold = all_bold && l.bold;
    chars += l.text.size();
    for (char c : l.text) any_letter = any_letter || std::isalpha(static_cast<unsigned char>(c));
  }
  if (lines == 0 || chars > kMaxChars || !any_letter) return Shape::kNone;
  for (const TextLine& l : block.lines) {  // a table-of-contents entry, not a heading
    if (l.page_ref || l.text.find(". . .") != std::string::npos ||
        l.text.find("....") != std::string::npos) {
      return Shape::kNone;
    }
  }
  *size = Round(first);
  if (first >= body * kLargerRatio) return Shape::kLarger;
  if (all_bold && first >= body * 0.95f) {
    // Bold run-in text ends like a sentence; a heading does not.
    std::string_view last = Trim(block.lines.back().text);
    char end = last.empty() ? '.' : last.back();
    if (end != '.' && end != ',' && end != ';') return Shape::kBold;
  }
  return Shape::kNone;
}

}  // namespace

HeadingScale MeasureHeadings(const std::vector<PageLayout>& pages) {
  HeadingScale scale;
  std::map<float, long> body_votes;  // rounded size → characters
  for (const PageLayout& p : pages) {
    for (const TextBlock& b : p.blocks) {
      for (const TextLine& l : b.lines) {
        if (!l.removed && !l.mono) body_votes[Round(l.size)] += static_cast<long>(l.text.size());
      }
    }
  }
  if (body_votes.empty()) return scale;
  scale.body_size = std::max_element(body_votes.begin(), body_votes.end(), [](auto& a, auto& b) {
                      return a.second < b.second;
                    })->first;
  std::vector<float> found;
  for (const PageLayout& p : pages) {
    for (const TextBlock& b : p.blocks) {
      float size = 0;
      if (ShapeOf(b, scale.body_size, &size) == Shape::kLarger) found.push_back(size);
    }
  }
  std::sort(found.rbegin(), found.rend());
  for (float s : found) {
    if (scale.sizes.empty() || scale.sizes.back() - s > kSameClass) scale.sizes.push_back(s);
  }
  if (scale.sizes.size() > kMaxSizeLevels) scale.sizes.resize(kMaxSizeLevels);
  scale.bold_level = static_cast<int>(scale.sizes.size()) + 1;
  return scale;
}

int HeadingLevel(const TextBlock& block, const HeadingScale& scale) {
  float size = 0;
  switch (ShapeOf(block, scale.body_size, &size)) {
    case Shape::kNone:
      return 0;
    case Shape::kBold:
      return scale.bold_level;
    case Shape::kLarger:
      for (size_t i = 0; i < scale.sizes.size(); ++i) {
        if (size >= scale.sizes[i] - kSameClass) return static_cast<int>(i) + 1;
      }
      return static_cast<int>(scale.sizes.size());  // smaller than the kept classes
  }
  return 0;
}

}  // namespace ingestd::pdf
