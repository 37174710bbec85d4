// The OpenAI embeddings wire format pieces shared by the real client and the test fake:
// base64 little-endian float32 vectors and the error body. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace ingestd::openai {

// Standard base64 (with padding) of the vector as little-endian IEEE-754 float32.
std::string EncodeFloat32Base64(std::span<const float> values);
// The inverse; nullopt when the text is not base64 or its length is not a multiple of 4
// bytes once decoded.
std::optional<std::vector<float>> DecodeFloat32Base64(std::string_view text);

// {"error":{"message","type","param","code"}}; empty param/code are sent as null.
nlohmann::json ErrorBody(std::string_view message, std::string_view type,
                         std::string_view param = {}, std::string_view code = {});

struct EmbeddingsBody {
  std::vector<std::vector<float>> vectors;  // vectors[i] is data[].index == i
  int64_t total_tokens = 0;                 // usage.total_tokens
};

// Parses and checks a 200 answer of POST /v1/embeddings (base64 or float encoding): exactly
// `inputs` items with distinct indices in [0, inputs), each of `dimensions` finite values.
// Anything else is kUpstream "UPSTREAM_BAD_RESPONSE", retryable (a provider glitch, never
// an answer to patch up).
Result<EmbeddingsBody> ParseEmbeddingsBody(std::string_view body, size_t inputs, int dimensions);

}  // namespace ingestd::openai
