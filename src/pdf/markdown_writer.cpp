#include "pdf/markdown_writer.h"

#include <algorithm>
#include <cmath>

#include "pdf/heading_levels.h"
#include "pdf/page_furniture.h"
#include "pdf/reading_order.h"
#include "pdf/text_join.h"

namespace ingestd::pdf {

namespace {

constexpr float kParagraphGap = 1.6f;        // line pitches: a larger gap starts a new paragraph
constexpr int kMaxIndent = 40;               // spaces of code indentation kept
constexpr float kContinuationPitch = 1.35f;  // line heights: "one ordinary line below"
constexpr float kSameMargin = 2.0f;          // points

// "Introduction . . . . . 2": one entry per line, never run together.
bool IsContentsEntry(const TextLine& l) {
  return l.page_ref || l.text.find(". . .") != std::string::npos ||
         l.text.find("....") != std::string::npos;
}

class Writer {
 public:
  explicit Writer(const HeadingScale& scale) : scale_(scale) {}

  void StartPage(int number) {
    CloseCode();
    FlushParagraph();
    out_ += PageMarker(number);
    out_ += "\n\n";
  }

  void Block(const TextBlock& block) {
    std::vector<const TextLine*> lines;
    for (const TextLine& l : block.lines) {
      if (!l.removed && !Trim(l.text).empty()) lines.push_back(&l);
    }
    if (lines.empty()) return;
    if (std::all_of(lines.begin(), lines.end(), [](const TextLine* l) { return l->mono; })) {
      Code(lines);
      return;
    }
    CloseCode();
    if (int level = HeadingLevel(block, scale_); level > 0) {
      FlushParagraph();
      std::string text;
      for (const TextLine* l : lines) JoinLine(&text, l->text);
      out_.append(level, '#');
      out_ += ' ' + EscapeHeading(text) + "\n\n";
      return;
    }
    Prose(lines);
  }

  std::string Finish() {
    CloseCode();
    FlushParagraph();
    return std::move(out_);
  }

 private:
  void Code(const std::vector<const TextLine*>& lines) {
    FlushParagraph();
    if (!in_code_) {
      out_ += "```\n";
      in_code_ = true;
      code_left_ = lines.front()->bbox.x0;
      for (const TextLine* l : lines) code_left_ = std::min(code_left_, l->bbox.x0);
    } else {
      out_ += '\n';  // a gap between code blocks
    }
    for (const TextLine* l : lines) {
      float cw = l->char_width > 0 ? l->char_width : 5;
      int indent = static_cast<int>(std::lround((l->bbox.x0 - code_left_) / cw));
      out_.append(std::clamp(indent, 0, kMaxIndent), ' ');
      out_ += EscapeCode(Trim(l->text));
      out_ += '\n';
    }
  }

  void CloseCode() {
    if (!in_code_) return;
    out_ += "```\n\n";
    in_code_ = false;
  }

  // Whether `l`, the first line of a block, continues the open paragraph: MuPDF splits a
  // paragraph into blocks at column and some font changes, so a line at the same margin, in
  // the same size, one ordinary line below the paragraph's last line, belongs to it.
  bool Continues(const TextLine& l) const {
    if (paragraph_.empty() || IsContentsEntry(l) || IsContentsEntry(last_)) return false;
    float drop = l.bbox.y0 - last_.bbox.y0;
    return drop > 0 && drop <= last_.bbox.height() * kContinuationPitch &&
           std::fabs(l.bbox.x0 - last_.bbox.x0) <= kSameMargin &&
           std::fabs(l.size - last_.size) < 0.5f;
  }

  void Prose(const std::vector<const TextLine*>& lines) {
    float pitch = MedianPitch(lines);
    for (size_t i = 0; i < lines.size(); ++i) {
      const TextLine* l = lines[i];
      std::string_view text = Trim(l->text);
      bool ordered = false;
      size_t marker = ListMarkerLength(text, &ordered);
      bool gap = i > 0 && pitch > 0 && l->bbox.y0 - lines[i - 1]->bbox.y0 > pitch * kParagraphGap;
      if (marker > 0) {
        FlushParagraph();
        std::string_view mark = Trim(text.substr(0, marker));
        paragraph_prefix_ = ordered ? std::string(mark) + " " : "- ";
        text.remove_prefix(marker);
        item_left_ = l->bbox.x0;
      } else if ((i == 0 && !Continues(*l)) || gap ||
                 (i > 0 && (IsContentsEntry(*l) || IsContentsEntry(*lines[i - 1]))) ||
                 (!paragraph_prefix_.empty() && l->bbox.x0 < item_left_ - 1)) {
        // A new paragraph, a gap, a contents entry, or text back at the margin after a list
        // item.
        FlushParagraph();
      }
      JoinLine(&paragraph_, text);
      last_ = *l;
    }
  }

  void FlushParagraph() {
    if (!paragraph_.empty()) {
      out_ += paragraph_prefix_.empty() ? EscapeText(paragraph_)
                                        : paragraph_prefix_ + EscapeText(paragraph_);
      out_ += "\n\n";
    }
    paragraph_.clear();
    paragraph_prefix_.clear();
  }

  static float MedianPitch(const std::vector<const TextLine*>& lines) {
    std::vector<float> pitches;
    for (size_t i = 1; i < lines.size(); ++i) {
      float d = lines[i]->bbox.y0 - lines[i - 1]->bbox.y0;
      if (d > 0) pitches.push_back(d);
    }
    if (pitches.empty()) return 0;
    std::nth_element(pitches.begin(), pitches.begin() + pitches.size() / 2, pitches.end());
    return pitches[pitches.size() / 2];
  }

  const HeadingScale& scale_;
  std::string out_;
  std::string paragraph_;
  std::string paragraph_prefix_;  // "- " or "3. " while a list item is open
  TextLine last_;                 // the open paragraph's last line (geometry and size)
  float item_left_ = 0;           // left edge of the open list item's marker
  bool in_code_ = false;
  float code_left_ = 0;
};

}  // namespace

std::string PageMarker(int number) { return "<!-- page: " + std::to_string(number) + " -->"; }

std::string WriteMarkdown(std::vector<PageLayout> pages) {
  for (PageLayout& p : pages) {
    SplitColumns(&p.blocks, p.width);
    for (TextBlock& b : p.blocks) MergeBaselines(&b);
    OrderBlocks(&p.blocks);
  }
  RemovePageFurniture(&pages);
  HeadingScale scale = MeasureHeadings(pages);
  Writer writer(scale);
  for (const PageLayout& p : pages) {
    writer.StartPage(p.number);
    for (const TextBlock& b : p.blocks) writer.Block(b);
  }
  return writer.Finish();
}

}  // namespace ingestd::pdf
