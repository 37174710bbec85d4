// Headings from typography: a short block set larger than the body text (or bold at body
// size) is a heading, and its level follows from how its size ranks among the heading sizes
// of this document: the largest is '#', the next '##', and so on.
#pragma once

#include <vector>

#include "pdf/layout.h"

namespace ingestd::pdf {

struct HeadingScale {
  float body_size = 0;       // the size most body characters are set in
  std::vector<float> sizes;  // heading size classes, largest first; level = index + 1
  int bold_level = 0;        // level of bold body-size headings
};

// Measures the document. Lines marked `removed` are ignored.
HeadingScale MeasureHeadings(const std::vector<PageLayout>& pages);

// The heading level (1-6) of `block`, or 0 when it is not a heading.
int HeadingLevel(const TextBlock& block, const HeadingScale& scale);

}  // namespace ingestd::pdf
