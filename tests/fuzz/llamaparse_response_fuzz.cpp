// LlamaParseParser::Parse against a scripted provider: every answer it reads (the upload's
// job id, each status poll, the markdown result, error bodies) comes from the input, as
// answers separated by a line "--next--"; each answer is "STATUS\n<body>". Once the script
// runs out the provider answers 404 (job unknown), which ends the parse. The parser must turn
// every answer into a ParseOutput or a Status: no exception, no crash, no negative billing.
#include <charconv>

#include "fuzz_target.h"
#include "services/http/retry_env.h"
#include "services/llamaparse_parser.h"

namespace {

using namespace ingestd;

class ScriptedClient final : public http::HttpClient {
 public:
  explicit ScriptedClient(std::string_view script) : rest_(script) {}
  std::vector<Result<http::HttpResponse>> SendAll(std::span<const http::HttpRequest> requests,
                                                  const http::HttpTimeouts&) override {
    std::vector<Result<http::HttpResponse>> out;
    for (size_t i = 0; i < requests.size(); ++i) out.push_back(Next());
    return out;
  }

 private:
  http::HttpResponse Next() {
    http::HttpResponse r;
    r.status = 404;
    if (rest_.empty()) return r;
    constexpr std::string_view kSep = "\n--next--\n";
    const size_t end = rest_.find(kSep);
    std::string_view answer = rest_.substr(0, end);
    rest_ = end == std::string_view::npos ? std::string_view() : rest_.substr(end + kSep.size());
    auto [status, body] = fuzz::SplitAt(answer, '\n');
    long code = 0;
    if (std::from_chars(status.data(), status.data() + status.size(), code).ec == std::errc()) {
      r.status = code;
    }
    r.body = std::string(body);
    return r;
  }
  std::string_view rest_;
};

// Nothing recorded: every parse uploads first, so the upload answer is fuzzed too.
class NoRecords final : public ProviderJobRecorder {
 public:
  Result<std::optional<std::string>> Find(const CallContext&) override {
    return std::optional<std::string>();
  }
  Status Record(const CallContext&, const std::string&) override { return Status(); }
  Status Close(const CallContext&, const std::string&) override { return Status(); }
};

class NullAudit final : public AuditSink {
 public:
  void Record(AuditRecord) override {}  // present so the result's audit row is filled in
};

}  // namespace

INGESTD_FUZZ_TARGET(llamaparse_response) {
  ScriptedClient client(fuzz::AsText(data, size));
  http::FakeRetryEnv env;
  NoRecords recorder;
  NullAudit audit;
  LlamaParseConfig config;
  config.api_key = "llx-fuzz";
  config.base_url = "http://llamaparse.invalid";
  config.retry.max_attempts = 2;
  auto parser = LlamaParseParser::Create(
      config, {.recorder = &recorder, .client = &client, .env = &env, .audit = &audit});
  if (!parser.ok()) __builtin_trap();
  UsageMeter billed;
  CallContext ctx{.correlation_id = "fuzz", .job_id = "job-1", .user_id = "u", .billed = &billed};
  auto out = (*parser)->Parse(
      {.pdf_path = "/nonexistent/fuzz.pdf", .size_bytes = 1, .document_id = "doc-1"}, ctx);
  if (billed.units < 0 || (out.ok() && out->page_count < 0)) __builtin_trap();
  return 0;
}
