// Chunker: splits parsed markdown into the chunks that get embedded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"

namespace ingestd {

class Chunker {
 public:
  virtual ~Chunker() = default;
  // Name and version, e.g. "markdown-tokens@1"; part of every chunk id, so changing how
  // text is split must change the version.
  virtual std::string name() const = 0;
  // Deterministic: the same (document_id, markdown) gives the same chunks and ids, with
  // id = UuidV5(document_id, name() + ":" + ord). Chunks come back in ordinal order.
  virtual std::vector<Chunk> Split(std::string_view document_id,
                                   std::string_view markdown) const = 0;
};

}  // namespace ingestd
