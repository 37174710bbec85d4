// Signed upload URLs: the token in PUT /api/v1/blobs/{token} is an HMAC-SHA256, under a
// server secret, over the job and document, the promised size and hash, and an expiry. Holding it is
// the only credential the PUT needs, so it must not be forgeable or extendable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ingestd::api {

struct UploadGrant {
  std::string job_id;
  std::string document_id;
  int64_t size_bytes = 0;
  std::string sha256;  // lower-case hex
  int64_t expires_at_s = 0;
};

std::string SignUploadToken(const UploadGrant& grant, std::string_view secret);

// kPermissionDenied "UPLOAD_TOKEN_INVALID" for anything forged or garbled,
// "UPLOAD_TOKEN_EXPIRED" once now_s >= expires_at_s.
Result<UploadGrant> VerifyUploadToken(std::string_view token, std::string_view secret,
                                      int64_t now_s);

}  // namespace ingestd::api
