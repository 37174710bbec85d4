// The pipe protocol between the runner and the ingestd-pdf helper.
//
// Request: the command line, `ingestd-pdf MODE [--cpu-seconds=N] [--memory-mb=N]
// [--max-pages=N] [--sandbox=off]` where MODE is `markdown` or `pages`; the document is stdin
// (a descriptor the runner opened), and no other descriptor but stdout and stderr is open.
// Response: on stdout, a sequence of frames `KIND SP DECIMAL-LENGTH LF PAYLOAD`, ending with an
// `end` frame of length 0. Kinds: `sandbox` (first: the isolation that is in force, or `off`),
// `pages` (decimal page count), `markdown` (the document),
// `warning` (one human-readable note), `error` (`CODE SP message`, then `end`). A response
// without a final `end` frame means the helper died mid-way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ingestd::pdf {

inline constexpr char kFrameSandbox[] = "sandbox";
inline constexpr char kFramePages[] = "pages";
inline constexpr char kFrameMarkdown[] = "markdown";
inline constexpr char kFrameWarning[] = "warning";
inline constexpr char kFrameError[] = "error";
inline constexpr char kFrameEnd[] = "end";

struct Frame {
  std::string kind;
  std::string payload;
};

std::string EncodeFrame(std::string_view kind, std::string_view payload);

// Decodes a complete response. Returns false on malformed input (bad header, length past the
// end, trailing bytes after `end`); `frames` then holds what decoded before the fault.
bool DecodeFrames(std::string_view data, std::vector<Frame>* frames);

}  // namespace ingestd::pdf
