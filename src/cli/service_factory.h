// Builds the parser and embedder for a service mode: parse "mock" | "local" (the sandboxed
// MuPDF helper) | "real" (LlamaParse), embed "mock" | "local" (feature hashing) | "real"
// (OpenAI). Later modes arrive as new
// implementation files registered here.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "services/embedder.h"
#include "services/fault_injector.h"
#include "services/llamaparse_parser.h"
#include "services/local_embedder.h"
#include "services/openai_embedder.h"
#include "services/parser.h"

namespace ingestd {

struct ServiceOptions {
  // Injected into mock implementations (main reads INGESTD_MOCK_PARSE_FAULTS /
  // INGESTD_MOCK_EMBED_FAULTS through ParseFaultSpec). Ignored by real ones.
  FaultOptions faults;
  // The local parser's helper sandbox (main reads INGESTD_PDF_SANDBOX; off only explicitly).
  bool pdf_sandbox = true;
  // Test-only (INGESTD_TEST_PDF_SANDBOX_PROBES): see LocalPdfParserOptions::sandbox_probes.
  std::vector<std::string> pdf_sandbox_probes;
  // The local embedder's vector length (main reads INGESTD_LOCAL_EMBED_DIMS).
  int local_embed_dims = LocalEmbedder::kDefaultDimensions;
  // The real embedder's settings (main fills them from OPENAI_*). Create() validates them:
  // a missing key fails here, at start-up, with OPENAI_CONFIG.
  OpenAiEmbedderConfig openai;
  // The real parser's settings (main fills them from LLAMAPARSE_*) and where it records the
  // provider job ids it submits (main passes an EventJobRecorder over the store; not owned).
  LlamaParseConfig llamaparse;
  ProviderJobRecorder* parse_jobs = nullptr;
  // The real clients' key rings (main builds them from OPENAI_API_KEYS… / LLAMAPARSE_API_KEYS…;
  // null: the single api_key of the config) and the audit log of their paid requests (may be
  // null). Not owned; they outlive every implementation made from these options.
  KeyRing* openai_keys = nullptr;
  KeyRing* llamaparse_keys = nullptr;
  AuditSink* audit = nullptr;
};

// Unknown mode → kInvalidArgument / "SERVICE_MODE_UNKNOWN".
Result<std::unique_ptr<Parser>> MakeParser(std::string_view mode, const ServiceOptions& options);
Result<std::unique_ptr<Embedder>> MakeEmbedder(std::string_view mode,
                                               const ServiceOptions& options);

}  // namespace ingestd
