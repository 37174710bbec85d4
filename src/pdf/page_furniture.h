// Page furniture: running heads and feet, page numbers. Marks such lines `removed` so the
// markdown carries each document's text once rather than once per page.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pdf/layout.h"

namespace ingestd::pdf {

// A line is furniture when it is among the two top-most or bottom-most lines of its page,
// lies in the page's top or bottom margin band, and
//  - is a bare page number ("12", "xii", "Page 3 of 9", "- 4 -"), or
//  - repeats (numbers and punctuation ignored) at about the same height on a nearby page
//    (within kWindow pages, so chapter-specific and odd/even running heads are caught), or
//  - sits exactly where such repeated furniture sits on two nearby pages, in the same size
//    (a running head naming a topic that fills only one page).
void RemovePageFurniture(std::vector<PageLayout>* pages);

// Comparison key: the line's letters, lowercased; digits and punctuation dropped, so that
// "agrep 9" and "10 agrep" match.
std::string FurnitureKey(std::string_view text);

}  // namespace ingestd::pdf
