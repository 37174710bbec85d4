#include "api/validation.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "core/crypto.h"

namespace ingestd::api {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid (overlongs,
// surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (len == 0 || c > 0xF4 || i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
  if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogate
  if (c == 0xF0 && b(i + 1) < 0x90) return 0;   // overlong
  if (c == 0xF4 && b(i + 1) >= 0x90) return 0;  // > U+10FFFF
  return len;
}

}  // namespace

Result<std::string> SanitizeFilename(std::string_view raw) {
  auto invalid = [](std::string msg) { return Status::InvalidArgument("INVALID_FILENAME", msg); };
  if (raw.size() > kMaxFilenameBytes) return invalid("filename exceeds 255 bytes");
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    size_t len = Utf8SequenceLength(raw, i);
    if (len == 0) return invalid("filename is not valid UTF-8");
    unsigned char c = static_cast<unsigned char>(raw[i]);
    bool c1_control = len == 2 && c == 0xC2 && static_cast<unsigned char>(raw[i + 1]) < 0xA0;
    if (len == 1 && (c < 0x20 || c == 0x7F)) {
      // dropped: control character
    } else if (c1_control) {
      // dropped: C1 control character
    } else if (len == 1 && (c == '/' || c == '\\')) {
      out.push_back('_');
    } else {
      out.append(raw.substr(i, len));
    }
    i += len;
  }
  bool blank = std::all_of(out.begin(), out.end(), [](char ch) { return ch == ' ' || ch == '.'; });
  if (out.empty() || blank) return invalid("filename is empty");
  return out;
}

Status CheckUploadSize(int64_t bytes, int64_t max_bytes) {
  if (bytes < 1) return Status::InvalidArgument("EMPTY_FILE", "the file is empty");
  if (bytes > max_bytes) {
    return Status::Error(
        Kind::kPayloadTooLarge, "FILE_TOO_LARGE",
        "the file exceeds the upload limit of " + std::to_string(max_bytes) + " bytes");
  }
  return Status();
}

Status CheckMime(std::string_view mime) {
  std::string base(mime.substr(0, mime.find(';')));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  std::transform(base.begin(), base.end(), base.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (base != kPdfMime) {
    return Status::Error(Kind::kUnsupportedMedia, "UNSUPPORTED_MEDIA_TYPE",
                         "only application/pdf is accepted");
  }
  return Status();
}

Status CheckSha256(std::string_view sha256, std::string* normalized) {
  if (sha256.size() != 64 || !IsLowerOrUpperHex(sha256)) {
    return Status::Error(Kind::kUnprocessable, "INVALID_SHA256",
                         "sha256 must be 64 hexadecimal digits");
  }
  normalized->assign(sha256);
  std::transform(normalized->begin(), normalized->end(), normalized->begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return Status();
}

Status CheckPdfMagic(std::string_view first_bytes) {
  if (first_bytes.substr(0, kPdfMagic.size()) != kPdfMagic) {
    return Status::Error(Kind::kUnsupportedMedia, "NOT_A_PDF",
                         "the content is not a PDF (it must begin with %PDF-)");
  }
  return Status();
}

Status MissingField(std::string_view field) {
  return Status::InvalidArgument("MISSING_FIELD", "field '" + std::string(field) + "' is required");
}

Status WrongType(std::string_view field, std::string_view what) {
  return Status::InvalidArgument("INVALID_FIELD",
                                 "field '" + std::string(field) + "' must be " + std::string(what));
}

Status CheckPriority(int64_t priority) {
  if (priority < kMinPriority || priority > kMaxPriority) {
    return Status::InvalidArgument(
        "INVALID_FIELD", "field 'processing_priority' must be an integer from " +
                             std::to_string(kMinPriority) + " to " + std::to_string(kMaxPriority));
  }
  return Status();
}

Result<int> ParsePriority(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("INVALID_FIELD",
                                   "field 'processing_priority' must be an integer");
  }
  if (Status s = CheckPriority(value); !s.ok()) return s;
  return static_cast<int>(value);
}

}  // namespace ingestd::api
