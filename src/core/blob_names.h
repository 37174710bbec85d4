// Where a document's blobs live: keys made from its id alone, so every module that needs a
// document's bytes or parsed markdown (the API writing them, the pipeline reading them, the
// store listing what a delete leaves behind) names them the same way without depending on
// a blob backend.
#pragma once

#include <string>
#include <string_view>

namespace ingestd {

inline std::string DocumentBlobKey(std::string_view document_id) {
  return "documents/" + std::string(document_id) + ".pdf";
}

inline std::string MarkdownBlobKey(std::string_view document_id) {
  return "markdown/" + std::string(document_id) + ".md";
}

}  // namespace ingestd
