// Stable error codes of the local PDF parser, shared by the helper (which reports them over
// the pipe) and the runner (which turns them, or the helper's death, into a Status).
// Every one is permanent: retrying the same bytes gives the same answer.
#pragma once

namespace ingestd::pdf {

inline constexpr char kPdfCorrupt[] = "PDF_CORRUPT";              // unreadable structure
inline constexpr char kPdfEncrypted[] = "PDF_ENCRYPTED";          // needs a password
inline constexpr char kPdfNoPages[] = "PDF_NO_PAGES";             // opens, but has 0 pages
inline constexpr char kPdfTimeout[] = "PDF_TIMEOUT";              // CPU or wall-clock limit
inline constexpr char kPdfMemoryLimit[] = "PDF_MEMORY_LIMIT";     // address-space limit
inline constexpr char kPdfTooManyPages[] = "PDF_TOO_MANY_PAGES";  // over the configured cap
inline constexpr char kPdfOutputTooLarge[] = "PDF_OUTPUT_TOO_LARGE";
inline constexpr char kPdfHelperCrashed[] = "PDF_HELPER_CRASHED";  // signal / bad protocol
inline constexpr char kPdfUnreadable[] = "PDF_UNREADABLE";         // file missing/unreadable
// The helper did something its sandbox forbids (SIGSYS from the seccomp filter, or a refused
// operation): a hostile document, or a MuPDF bug it triggered.
inline constexpr char kPdfSandboxViolation[] = "PDF_SANDBOX_VIOLATION";
// The helper could not confine itself and refused to parse (kInternal: not the document's fault).
inline constexpr char kPdfSandboxFailed[] = "PDF_SANDBOX_FAILED";

}  // namespace ingestd::pdf
