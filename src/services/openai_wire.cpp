#include "services/openai_wire.h"

#include <openssl/evp.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

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

namespace {

Status BadResponse(const std::string& why) {
  return Status::Error(Kind::kUpstream, "UPSTREAM_BAD_RESPONSE", "openai embeddings: " + why, true);
}

}  // namespace

Result<EmbeddingsBody> ParseEmbeddingsBody(std::string_view body, size_t inputs, int dimensions) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return BadResponse("response is not JSON");
  if (!j.contains("data") || !j["data"].is_array()) return BadResponse("response has no data");
  const auto& data = j["data"];
  if (data.size() != inputs) {
    return BadResponse("expected " + std::to_string(inputs) + " embeddings, got " +
                       std::to_string(data.size()));
  }
  EmbeddingsBody out;
  out.vectors.resize(inputs);
  for (const auto& item : data) {
    if (!item.is_object() || !item.contains("index") || !item["index"].is_number_unsigned() ||
        !item.contains("embedding")) {
      return BadResponse("malformed data item");
    }
    const auto index = item["index"].get<uint64_t>();
    if (index >= inputs || !out.vectors[index].empty()) {
      return BadResponse("embedding index out of range or repeated");
    }
    const auto& e = item["embedding"];
    std::vector<float> v;
    if (e.is_string()) {
      auto decoded = DecodeFloat32Base64(e.get<std::string>());
      if (!decoded) return BadResponse("embedding is not base64 float32");
      v = std::move(*decoded);
    } else if (e.is_array()) {
      v.reserve(e.size());
      for (const auto& x : e) {
        if (!x.is_number()) return BadResponse("embedding holds a non-number");
        // A double beyond float's range would be undefined to narrow.
        const double d = x.get<double>();
        if (!(std::fabs(d) <= std::numeric_limits<float>::max())) {
          return BadResponse("embedding holds a non-finite value");
        }
        v.push_back(static_cast<float>(d));
      }
    } else {
      return BadResponse("malformed embedding");
    }
    if (v.size() != static_cast<size_t>(dimensions)) {
      return BadResponse("embedding of " + std::to_string(v.size()) + " dimensions, expected " +
                         std::to_string(dimensions));
    }
    for (float x : v) {
      if (!std::isfinite(x)) return BadResponse("embedding holds a non-finite value");
    }
    out.vectors[index] = std::move(v);
  }
  if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("total_tokens") &&
      j["usage"]["total_tokens"].is_number_integer()) {
    out.total_tokens = j["usage"]["total_tokens"].get<int64_t>();
  } else {
    return BadResponse("response has no usage.total_tokens");
  }
  return out;
}

}  // namespace ingestd::openai
