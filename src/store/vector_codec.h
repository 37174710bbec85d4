// How every backend stores an embedding: the raw bytes of little-endian IEEE-754 float32
// values, back to back (dims * 4 bytes). Compact, exact and readable by numpy.frombuffer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd {

std::string EncodeFloat32Le(const std::vector<float>& values);
// nullopt when the byte count is not a multiple of 4.
std::optional<std::vector<float>> DecodeFloat32Le(std::string_view bytes);

}  // namespace ingestd
