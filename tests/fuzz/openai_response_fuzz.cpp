// OpenAI answers as the embedder reads them: input "STATUS INPUTS DIMENSIONS\n<body>".
// ClassifyResponse maps any status and body (error JSON or not) to a Status without
// throwing and never echoes the key; a 2xx body goes through ParseEmbeddingsBody, whose
// vectors must then have exactly the shape asked for.
#include <charconv>

#include "fuzz_target.h"
#include "services/openai_errors.h"
#include "services/openai_wire.h"

namespace {

bool ReadInt(std::string_view* s, long* out) {
  while (!s->empty() && s->front() == ' ') s->remove_prefix(1);
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), *out);
  if (ec != std::errc()) return false;
  s->remove_prefix(static_cast<size_t>(end - s->data()));
  return true;
}

}  // namespace

INGESTD_FUZZ_TARGET(openai_response) {
  namespace openai = ingestd::openai;
  constexpr std::string_view kKey = "sk-fuzz0123456789abcdef";
  auto [head, body] = ingestd::fuzz::SplitAt(ingestd::fuzz::AsText(data, size), '\n');
  long status = 0, inputs = 0, dims = 0;
  if (!ReadInt(&head, &status) || !ReadInt(&head, &inputs) || !ReadInt(&head, &dims)) return 0;
  ingestd::http::HttpResponse resp;
  resp.status = status;
  resp.body = std::string(body);
  const ingestd::Status s = openai::ClassifyResponse(resp, kKey);
  if (!s.ok() && s.message().find(kKey) != std::string::npos) __builtin_trap();
  if (!s.ok() || inputs < 0 || inputs > 64 || dims < 1 || dims > 4096) return 0;
  auto parsed =
      openai::ParseEmbeddingsBody(body, static_cast<size_t>(inputs), static_cast<int>(dims));
  if (!parsed.ok()) return 0;
  if (parsed->vectors.size() != static_cast<size_t>(inputs)) __builtin_trap();
  for (const auto& v : parsed->vectors) {
    if (v.size() != static_cast<size_t>(dims)) __builtin_trap();
  }
  return 0;
}
