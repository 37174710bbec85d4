#include "cli/service_factory.h"

#include <string>

#include "pdf/local_pdf_parser.h"
#include "services/local_embedder.h"
#include "services/mock_embedder.h"
#include "services/mock_parser.h"

namespace ingestd {
namespace {

Status UnknownMode(std::string_view service, std::string_view mode) {
  return Status::InvalidArgument("SERVICE_MODE_UNKNOWN", "unknown " + std::string(service) +
                                                             " mode '" + std::string(mode) + "'");
}

}  // namespace

Result<std::unique_ptr<Parser>> MakeParser(std::string_view mode, const ServiceOptions& options) {
  if (mode == "mock") return std::unique_ptr<Parser>(std::make_unique<MockParser>(options.faults));
  if (mode == "local") {
    pdf::LocalPdfParserOptions local;
    local.helper.sandbox = options.pdf_sandbox;
    local.sandbox_probes = options.pdf_sandbox_probes;
    return std::unique_ptr<Parser>(std::make_unique<pdf::LocalPdfParser>(local));
  }
  if (mode == "real") {
    auto real = LlamaParseParser::Create(
        options.llamaparse,
        {.recorder = options.parse_jobs, .keys = options.llamaparse_keys, .audit = options.audit});
    if (!real.ok()) return real.status();
    return std::unique_ptr<Parser>(std::move(real.value()));
  }
  return UnknownMode("parse", mode);
}

Result<std::unique_ptr<Embedder>> MakeEmbedder(std::string_view mode,
                                               const ServiceOptions& options) {
  if (mode == "mock") {
    return std::unique_ptr<Embedder>(std::make_unique<MockEmbedder>(options.faults));
  }
  if (mode == "local") {
    return std::unique_ptr<Embedder>(std::make_unique<LocalEmbedder>(options.local_embed_dims));
  }
  if (mode == "real") {
    auto real = OpenAiEmbedder::Create(options.openai,
                                       {.keys = options.openai_keys, .audit = options.audit});
    if (!real.ok()) return real.status();
    return std::unique_ptr<Embedder>(std::move(real.value()));
  }
  return UnknownMode("embed", mode);
}

}  // namespace ingestd
