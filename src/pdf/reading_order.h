// Reading order of the text blocks on one page, by recursive XY-cut: split the page at
// horizontal whitespace bands (top to bottom) first, then at vertical gutters (left to right),
// and recurse. Single-column pages come out top to bottom; multi-column pages column by
// column; a full-width title above two columns comes first.
#pragma once

#include <vector>

#include "pdf/layout.h"

namespace ingestd::pdf {

// Reorders `blocks` in place. Stable for blocks that cannot be separated by a cut.
void OrderBlocks(std::vector<TextBlock>* blocks);

// Splits blocks that MuPDF built across a column gutter (a two-column page whose lines share
// baselines) into one block per column. A gap splits only when the text on both sides spans
// at least a quarter of the page width, so definition lists ("x   a numeric vector") and
// numbered tables of contents stay whole.
void SplitColumns(std::vector<TextBlock>* blocks, float page_width);

// Joins consecutive lines of `block` that share a baseline ("1.1" and "The R environment",
// which MuPDF splits at a wide gap) into one line, with one space between them.
void MergeBaselines(TextBlock* block);

}  // namespace ingestd::pdf
