// Hashing, MACs and encodings (OpenSSL underneath). Thread-safe; no global state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ingestd {

// Incremental SHA-256 for streamed bodies.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  // Lower-case hex digest. The object must not be updated afterwards.
  std::string FinishHex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256 of data under key.
std::string HmacSha256(std::string_view key, std::string_view data);

std::string HexEncode(std::string_view bytes);
bool IsLowerOrUpperHex(std::string_view s);

std::string Base64UrlEncode(std::string_view bytes);  // no padding
std::optional<std::string> Base64UrlDecode(std::string_view text);
// RFC 4648 §4 (alphabet with '+' and '/'), padded with '='; decoding wants the padding.
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

// Compares in time independent of where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Cryptographically secure random bytes.
std::string RandomBytes(size_t n);

// 64-bit FNV-1a: a fast, stable, non-cryptographic hash for deterministic mocks.
uint64_t Fnv1a64(std::string_view data, uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace ingestd
