// Shared by the backends' Store::ReplaceDocumentVectors: the checks made before anything is
// written, and the codes of its failures.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "store/store_codes.h"

namespace ingestd::vector_replace {

// OK and *model set when vectors are non-empty, all of one non-empty model and all of
// doc_id (an empty document_id means this one); INVALID_STORE_RECORD otherwise.
inline Status Check(std::string_view doc_id, const std::vector<VectorRecord>& vectors,
                    std::string* model) {
  if (vectors.empty()) return store_codes::InvalidRecord("no vectors to replace with");
  *model = vectors.front().model;
  for (const VectorRecord& v : vectors) {
    if (v.model.empty() || v.model != *model) {
      return store_codes::InvalidRecord("replacement vectors must share one model");
    }
    if (!v.document_id.empty() && v.document_id != doc_id) {
      return store_codes::InvalidRecord("vector of another document");
    }
  }
  return Status();
}

inline Status Incomplete(int64_t chunks_without) {
  return Status::Conflict("VECTORS_INCOMPLETE",
                          std::to_string(chunks_without) +
                              " chunk(s) would be left without a vector; nothing was replaced");
}

inline int ClampLimit(int limit) { return limit < 0 ? 0 : (limit > 10'000 ? 10'000 : limit); }

}  // namespace ingestd::vector_replace
