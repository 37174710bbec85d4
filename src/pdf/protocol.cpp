#include "pdf/protocol.h"

#include <charconv>

namespace ingestd::pdf {

namespace {
// Kinds are short lowercase words; a longer header is garbage, not a frame.
constexpr size_t kMaxHeader = 40;
}  // namespace

std::string EncodeFrame(std::string_view kind, std::string_view payload) {
  std::string out;
  out.reserve(kind.size() + payload.size() + 24);
  out.append(kind);
  out.push_back(' ');
  out.append(std::to_string(payload.size()));
  out.push_back('\n');
  out.append(payload);
  return out;
}

bool DecodeFrames(std::string_view data, std::vector<Frame>* frames) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == std::string_view::npos || nl > kMaxHeader) return false;
    std::string_view header = data.substr(0, nl);
    size_t sp = header.find(' ');
    if (sp == std::string_view::npos || sp == 0) return false;
    size_t len = 0;
    std::string_view digits = header.substr(sp + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) return false;
    data.remove_prefix(nl + 1);
    if (len > data.size()) return false;
    frames->push_back({std::string(header.substr(0, sp)), std::string(data.substr(0, len))});
    data.remove_prefix(len);
    if (frames->back().kind == kFrameEnd) return data.empty();
  }
  return true;
}

}  // namespace ingestd::pdf
