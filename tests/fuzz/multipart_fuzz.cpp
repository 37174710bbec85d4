// The streaming multipart parser: input is "<content-type>\n<body>"; the body is fed in
// pieces whose sizes come from the body's own bytes, so chunk boundaries are fuzzed too.
// Whatever the chunking, the parts seen must be well-nested (begin, data, end).
#include "api/multipart.h"
#include "fuzz_target.h"

INGESTD_FUZZ_TARGET(multipart) {
  using ingestd::Status;
  auto [content_type, body] = ingestd::fuzz::SplitAt(ingestd::fuzz::AsText(data, size), '\n');
  const auto boundary = ingestd::api::MultipartParser::BoundaryOf(content_type);
  if (!boundary) return 0;
  bool in_part = false;
  ingestd::api::MultipartParser parser(*boundary, {[&](const ingestd::api::PartHeaders&) {
                                                     if (in_part) __builtin_trap();
                                                     in_part = true;
                                                     return Status();
                                                   },
                                                   [&](std::string_view) {
                                                     if (!in_part) __builtin_trap();
                                                     return Status();
                                                   },
                                                   [&] {
                                                     if (!in_part) __builtin_trap();
                                                     in_part = false;
                                                     return Status();
                                                   }});
  size_t at = 0;
  while (at < body.size()) {
    const size_t n = 1 + static_cast<unsigned char>(body[at]) % 97;
    if (!parser.Feed(body.substr(at, n)).ok()) return 0;
    at += n;
  }
  if (parser.Finish().ok() && in_part) __builtin_trap();
  return 0;
}
