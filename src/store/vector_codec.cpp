#include "store/vector_codec.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>

namespace ingestd {

static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559);

std::string EncodeFloat32Le(const std::vector<float>& values) {
  std::string out(values.size() * 4, '\0');
  if constexpr (std::endian::native == std::endian::little) {
    if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  } else {
    for (size_t i = 0; i < values.size(); ++i) {
      uint32_t bits = std::bit_cast<uint32_t>(values[i]);
      for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
    }
  }
  return out;
}

std::optional<std::vector<float>> DecodeFloat32Le(std::string_view bytes) {
  if (bytes.size() % 4 != 0) return std::nullopt;
  std::vector<float> out(bytes.size() / 4);
  if constexpr (std::endian::native == std::endian::little) {
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  } else {
    for (size_t i = 0; i < out.size(); ++i) {
      uint32_t bits = 0;
      for (int b = 0; b < 4; ++b) {
        bits |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i * 4 + b])) << (8 * b);
      }
      out[i] = std::bit_cast<float>(bits);
    }
  }
  return out;
}

}  // namespace ingestd
