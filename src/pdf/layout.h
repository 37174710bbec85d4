// The page layout model the markdown writer works on: what MuPDF's structured text tells us,
// reduced to plain structs so that everything after extraction (reading order, page furniture,
// headings, paragraphs) is ordinary C++ without MuPDF, testable with hand-built pages.
#pragma once

#include <string>
#include <vector>

namespace ingestd::pdf {

// Axis-aligned box in PDF points, y growing downwards (MuPDF's device space).
struct Box {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  float width() const { return x1 - x0; }
  float height() const { return y1 - y0; }
};

// One baseline of text.
struct TextLine {
  std::string text;  // UTF-8, ligatures already expanded, no trailing newline
  Box bbox;
  float size = 0;         // font size that covers most of the line's characters
  bool bold = false;      // most characters are in a bold font
  bool mono = false;      // most characters are in a monospaced font
  float char_width = 0;   // mean advance per character (code indentation)
  bool removed = false;   // set by page-furniture removal (running head, page number)
  bool page_ref = false;  // ends in a number set apart by a wide gap: a contents entry
};

// A run of lines MuPDF grouped together (usually a paragraph, a heading or a code block).
struct TextBlock {
  Box bbox;
  std::vector<TextLine> lines;
};

struct PageLayout {
  int number = 0;  // 1-based
  float width = 0, height = 0;
  bool failed = false;  // the page could not be loaded; it still gets its page marker
  std::vector<TextBlock> blocks;
};

}  // namespace ingestd::pdf
