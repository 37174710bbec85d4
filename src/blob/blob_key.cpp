#include <string>

#include "blob/blob_store.h"

namespace ingestd {
namespace {

bool IsKeyChar(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '.' || ch == '_' || ch == '-';
}

bool IsValidSegment(std::string_view seg) {
  if (seg.empty() || seg == "." || seg == "..") return false;
  for (char ch : seg) {
    if (!IsKeyChar(ch)) return false;
  }
  // Reserved for in-flight writes (see fs_blob_store.h), which start-up may sweep away.
  return seg.find(kBlobTempMarker) == std::string_view::npos;
}

}  // namespace

bool IsValidBlobKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxBlobKeyLength) return false;
  size_t start = 0;
  for (;;) {
    size_t slash = key.find('/', start);
    if (!IsValidSegment(key.substr(start, slash - start))) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace ingestd
