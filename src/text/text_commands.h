// The `ingestd tokenize` and `ingestd chunk` commands, as functions the CLI calls with the
// arguments after the command name (tests call them with string streams).
//
//   ingestd tokenize FILE|- [--count]
//       cl100k_base ids of the file (or stdin), space-separated on one line; --count prints
//       only their number.
//   ingestd chunk FILE|- [--max-tokens N] [--overlap N] [--document-id UUID]
//       markdown-tokens@1 chunks, one JSON object per line: id, ord, token_count,
//       heading_path, text, char_start, char_end, page_start, page_end. The default
//       document id is the nil UUID.
//
// Exit codes: 0 success, 1 unreadable input, 2 usage error (message on err).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ingestd {

int RunTokenizeCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                       std::ostream& err);
int RunChunkCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                    std::ostream& err);

}  // namespace ingestd
