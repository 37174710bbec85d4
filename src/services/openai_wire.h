// The OpenAI embeddings wire format pieces shared by the real client and the test fake:
// base64 little-endian float32 vectors and the error body. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ingestd::openai {

// Standard base64 (with padding) of the vector as little-endian IEEE-754 float32.
std::string EncodeFloat32Base64(std::span<const float> values);
// The inverse; nullopt when the text is not base64 or its length is not a multiple of 4
// bytes once decoded.
std::optional<std::vector<float>> DecodeFloat32Base64(std::string_view text);

// {"error":{"message","type","param","code"}}; empty param/code are sent as null.
nlohmann::json ErrorBody(std::string_view message, std::string_view type,
                         std::string_view param = {}, std::string_view code = {});

}  // namespace ingestd::openai
