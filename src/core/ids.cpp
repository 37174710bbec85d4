#include "core/ids.h"

#include <openssl/evp.h>

#include "core/crypto.h"

namespace ingestd {
namespace {

std::string Format(const unsigned char b[16]) {
  std::string hex = HexEncode(std::string_view(reinterpret_cast<const char*>(b), 16));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

bool Parse(std::string_view s, unsigned char out[16]) {
  if (!IsUuid(s)) return false;
  int n = 0;
  for (size_t i = 0; i < s.size(); i += 2) {
    if (s[i] == '-') ++i;
    auto nib = [](char c) {
      return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    };
    out[n++] = static_cast<unsigned char>(nib(s[i]) << 4 | nib(s[i + 1]));
  }
  return n == 16;
}

}  // namespace

std::string NewUuidV4() {
  std::string r = RandomBytes(16);
  auto* b = reinterpret_cast<unsigned char*>(r.data());
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return Format(b);
}

std::string UuidV5(std::string_view namespace_uuid, std::string_view name) {
  unsigned char ns[16];
  if (!Parse(namespace_uuid, ns)) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, ns, sizeof ns);
  EVP_DigestUpdate(ctx, name.data(), name.size());
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  md[6] = (md[6] & 0x0f) | 0x50;
  md[8] = (md[8] & 0x3f) | 0x80;
  return Format(md);
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!IsLowerOrUpperHex(s.substr(i, 1))) {
      return false;
    }
  }
  return true;
}

}  // namespace ingestd
