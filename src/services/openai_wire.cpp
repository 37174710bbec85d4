#include "services/openai_wire.h"

#include <openssl/evp.h>

#include <bit>
#include <cstdint>
#include <cstring>

namespace ingestd::openai {

std::string EncodeFloat32Base64(std::span<const float> values) {
  std::string raw(values.size() * 4, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    const uint32_t bits = std::bit_cast<uint32_t>(values[i]);
    for (int b = 0; b < 4; ++b) raw[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::vector<float>> DecodeFloat32Base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string raw(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  size_t len = static_cast<size_t>(n);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && len > 0; --i) --len;
  if (len % 4 != 0) return std::nullopt;
  std::vector<float> out(len / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) {
      bits |= static_cast<uint32_t>(static_cast<unsigned char>(raw[i * 4 + b])) << (8 * b);
    }
    out[i] = std::bit_cast<float>(bits);
  }
  return out;
}

nlohmann::json ErrorBody(std::string_view message, std::string_view type, std::string_view param,
                         std::string_view code) {
  auto or_null = [](std::string_view s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::string(s));
  };
  return {{"error",
           {{"message", std::string(message)},
            {"type", std::string(type)},
            {"param", or_null(param)},
            {"code", or_null(code)}}}};
}

}  // namespace ingestd::openai
