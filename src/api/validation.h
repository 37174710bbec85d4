// Upload validation rules, shared by the two-step and the one-shot upload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ingestd::api {

constexpr std::string_view kPdfMime = "application/pdf";
constexpr std::string_view kPdfMagic = "%PDF-";
constexpr size_t kMaxFilenameBytes = 255;

// Returns the display name to store: control characters (C0, DEL, C1) removed, path
// separators replaced by '_' so the name can never be mistaken for a path. Invalid UTF-8,
// an empty result, or more than 255 bytes → kInvalidArgument "INVALID_FILENAME".
Result<std::string> SanitizeFilename(std::string_view raw);

// 1..max_bytes: 0 → 400 EMPTY_FILE; above → 413 FILE_TOO_LARGE.
Status CheckUploadSize(int64_t bytes, int64_t max_bytes);
// application/pdf (parameters such as "; charset" ignored, case-insensitive) → else 415.
Status CheckMime(std::string_view mime);
// 64 hex digits → else 422 INVALID_SHA256. Returns it lower-cased via *normalized.
Status CheckSha256(std::string_view sha256, std::string* normalized);
// The first bytes of a PDF → else 415 NOT_A_PDF.
Status CheckPdfMagic(std::string_view first_bytes);

// A required field of a JSON body that is absent or null → 400 MISSING_FIELD naming it.
Status MissingField(std::string_view field);
// A field of a JSON body of another JSON type → 400 INVALID_FIELD "field 'f' must be <what>".
Status WrongType(std::string_view field, std::string_view what);

// A job's processing_priority (higher is claimed first): kMinPriority..kMaxPriority.
constexpr int kMinPriority = -100;
constexpr int kMaxPriority = 100;
// In range → else 400 INVALID_FIELD naming the field.
Status CheckPriority(int64_t priority);
// Decimal text of a form field or query parameter ("-5", "10"), in range → else 400
// INVALID_FIELD.
Result<int> ParsePriority(std::string_view text);

}  // namespace ingestd::api
