// The cl100k_base rank file, embedded in the binary at build time (so no file is looked up at
// run time). Built by tools/make_tiktoken.js from npm tiktoken's encoders/cl100k_base.json and
// checked against kCl100kSha256 before it is embedded (see src/text/CMakeLists.txt).
#pragma once

#include <string_view>

namespace ingestd {

inline constexpr std::string_view kCl100kSha256 =
    "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7";

// The `.tiktoken` text ("<base64 token> <rank>\n" per line); static storage.
std::string_view Cl100kTiktokenFile();

}  // namespace ingestd
