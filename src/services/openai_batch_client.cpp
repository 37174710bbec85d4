#include "services/openai_batch_client.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "services/call_audit.h"
#include "services/http/tracing_http_client.h"
#include "services/keys/key_call.h"
#include "services/openai_errors.h"
#include "services/openai_wire.h"
#include "text/tokenizer.h"

namespace ingestd {
namespace {

using nlohmann::json;

Status BadBatchAnswer(const std::string& what) {
  return Status::Error(Kind::kUpstream, "UPSTREAM_BAD_RESPONSE", "openai batch: " + what, true);
}

std::string StringOr(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

int64_t IntOr(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}

Result<BatchState> ParseBatch(const json& j) {
  if (!j.is_object() || StringOr(j, "object") != "batch" || StringOr(j, "id").empty() ||
      StringOr(j, "status").empty()) {
    return BadBatchAnswer("the answer is not a batch");
  }
  BatchState b;
  b.id = StringOr(j, "id");
  b.status = StringOr(j, "status");
  b.input_file_id = StringOr(j, "input_file_id");
  b.output_file_id = StringOr(j, "output_file_id");
  b.error_file_id = StringOr(j, "error_file_id");
  if (j.contains("request_counts") && j["request_counts"].is_object()) {
    const json& c = j["request_counts"];
    b.total = IntOr(c, "total");
    b.completed = IntOr(c, "completed");
    b.failed = IntOr(c, "failed");
  }
  if (j.contains("errors") && j["errors"].is_object() && j["errors"].contains("data") &&
      j["errors"]["data"].is_array() && !j["errors"]["data"].empty()) {
    const json& e = j["errors"]["data"][0];
    b.error = StringOr(e, "code") + ": " + StringOr(e, "message");
  }
  return b;
}

// Removes the input file once it was sent (or failed to be).
struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) std::remove(path.c_str());
  }
};

}  // namespace

bool BatchState::Finished() const {
  return status == "completed" || status == "failed" || status == "expired" ||
         status == "cancelled";
}

struct OpenAiBatchClient::Impl {
  OpenAiEmbedderConfig config;
  int dims = 0;
  std::unique_ptr<http::HttpClient> owned_client;
  std::unique_ptr<KeyRing> owned_keys;
  KeyRing* keys = nullptr;
  AuditSink* audit = nullptr;
  http::RetryDeps retry;
  std::string temp_dir;
  std::atomic<uint64_t> temp_seq{0};

  // One request (built per key by make), retried as the policy says, audited; the 2xx answer.
  Result<http::HttpResponse> Call(const std::function<http::HttpRequest()>& make,
                                  const std::string& operation, const http::RetryPolicy& policy,
                                  const CallContext& ctx, int64_t inputs = 0) {
    for (KeyAttempts attempts(keys, ctx.job_id, ctx.correlation_id);;) {
      auto key = attempts.Next();
      if (!key.ok()) return key.status();
      http::HttpRequest req = make();
      req.headers.emplace_back("Authorization", "Bearer " + (*key)->secret);
      if (!ctx.correlation_id.empty())
        req.headers.emplace_back("X-Correlation-ID", ctx.correlation_id);
      const auto classify = [&](size_t, const http::HttpResponse& resp) {
        return openai::ClassifyResponse(resp, (*key)->secret);
      };
      const auto observe = [&](const http::ExchangeRecord& x) {
        attempts.Saw(x.result->ok() ? (*x.result)->status : 0);
        if (!audit) return;
        AuditRecord a = AuditFor(ctx, x, "embed", "openai", operation, (*key)->id);
        a.model = config.model;
        a.inputs = inputs;
        audit->Record(std::move(a));
      };
      auto sent =
          http::SendWithRetry(retry, {req}, config.timeouts, policy, classify, nullptr, observe);
      if (sent.ok()) return std::move(sent->front());
      if (!attempts.RetryAfterUnauthorized(*key, sent.status())) return sent.status();
    }
  }

  Result<json> CallJson(const std::function<http::HttpRequest()>& make,
                        const std::string& operation, const CallContext& ctx,
                        bool retry_transient = true, int64_t inputs = 0) {
    http::RetryPolicy policy = config.retry;
    if (!retry_transient) policy.max_attempts = 1;
    auto resp = Call(make, operation, policy, ctx, inputs);
    if (!resp.ok()) return resp.status();
    json j = json::parse(resp->body, nullptr, false);
    if (j.is_discarded()) return BadBatchAnswer(operation + ": the answer is not JSON");
    return j;
  }

  http::HttpRequest Request(const char* method, const std::string& path) const {
    http::HttpRequest req;
    req.method = method;
    req.url = config.base_url + path;
    return req;
  }

  std::string SentText(const std::string& text) const {
    const Tokenizer& tok = Tokenizer::Cl100kBase();
    if (static_cast<int64_t>(tok.Count(text)) <= config.max_input_tokens) return text;
    return tok.Truncate(text, static_cast<size_t>(config.max_input_tokens));
  }

  Result<std::string> FileContent(const std::string& file_id, const CallContext& ctx) {
    auto resp = Call([&] { return Request("GET", "/v1/files/" + file_id + "/content"); },
                     "files.content", config.retry, ctx);
    if (!resp.ok()) return resp.status();
    return std::move(resp->body);
  }
};

Result<std::unique_ptr<OpenAiBatchClient>> OpenAiBatchClient::Create(OpenAiEmbedderConfig config,
                                                                     OpenAiBatchDeps deps) {
  Result<int> dims = CheckOpenAiEmbedConfig(config, deps.keys != nullptr);
  if (!dims.ok()) return dims.status();
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  while (impl->config.base_url.ends_with('/')) impl->config.base_url.pop_back();
  impl->dims = *dims;
  if (!deps.client) {
    impl->owned_client = http::NewTracedCurlClient();
    deps.client = impl->owned_client.get();
  }
  impl->keys = deps.keys;
  if (!impl->keys) {
    impl->owned_keys = std::make_unique<KeyRing>(
        "openai", std::vector<ApiKey>{{"default", impl->config.api_key}}, deps.clock);
    impl->keys = impl->owned_keys.get();
  }
  impl->audit = deps.audit;
  impl->retry = {deps.client, deps.env ? deps.env : http::SystemRetryEnv::Default(),
                 deps.clock ? deps.clock : SystemClock::Default()};
  impl->temp_dir = deps.temp_dir.empty() ? "/tmp" : deps.temp_dir;
  return std::unique_ptr<OpenAiBatchClient>(new OpenAiBatchClient(std::move(impl)));
}

OpenAiBatchClient::OpenAiBatchClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OpenAiBatchClient::~OpenAiBatchClient() = default;

std::string OpenAiBatchClient::model() const { return EmbedModelTag(impl_->config); }
int OpenAiBatchClient::dimensions() const { return impl_->dims; }

int64_t OpenAiBatchClient::CountTokens(const std::string& text) const {
  return static_cast<int64_t>(Tokenizer::Cl100kBase().Count(impl_->SentText(text)));
}

Result<std::string> OpenAiBatchClient::UploadInput(const std::vector<BatchInput>& inputs,
                                                   const CallContext& ctx) {
  if (inputs.empty() || inputs.size() > kMaxRequests) {
    return Status::InvalidArgument("BATCH_TOO_LARGE", "a batch holds 1 to 50,000 requests, not " +
                                                          std::to_string(inputs.size()));
  }
  TempFile file;
  file.path = impl_->temp_dir + "/ingestd-batch-" + std::to_string(::getpid()) + "-" +
              std::to_string(++impl_->temp_seq) + ".jsonl";
  int64_t bytes = 0;
  {
    std::ofstream out(file.path, std::ios::binary | std::ios::trunc);
    for (const BatchInput& in : inputs) {
      if (in.text.empty()) {
        return Status::InvalidArgument("EMBED_EMPTY_INPUT", "input " + in.custom_id + " is empty");
      }
      json line = {
          {"custom_id", in.custom_id},
          {"method", "POST"},
          {"url", "/v1/embeddings"},
          {"body", json::parse(EmbeddingsRequestBody(impl_->config, {impl_->SentText(in.text)}))}};
      const std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
      bytes += static_cast<int64_t>(text.size());
      if (bytes > kMaxFileBytes) {
        return Status::InvalidArgument("BATCH_TOO_LARGE", "the input file would pass 200 MB");
      }
      out << text;
    }
    if (!out.flush()) return Status::Internal("BATCH_FILE_WRITE", "cannot write " + file.path);
  }
  auto j = impl_->CallJson(
      [&] {
        http::HttpRequest req = impl_->Request("POST", "/v1/files");
        req.form_fields = {{"purpose", "batch"}};
        req.form_file =
            http::FilePart{"file", file.path, "ingestd-batch.jsonl", "application/jsonl"};
        return req;
      },
      "files.upload", ctx, true, static_cast<int64_t>(inputs.size()));
  if (!j.ok()) return j.status();
  const std::string id = StringOr(*j, "id");
  if (StringOr(*j, "object") != "file" || id.empty()) {
    return BadBatchAnswer("the upload answer is not a file");
  }
  return id;
}

Result<std::optional<BatchState>> OpenAiBatchClient::FindBatch(const std::string& input_file_id,
                                                               const CallContext& ctx) {
  auto j = impl_->CallJson([&] { return impl_->Request("GET", "/v1/batches?limit=100"); },
                           "batches.list", ctx);
  if (!j.ok()) return j.status();
  if (!j->contains("data") || !(*j)["data"].is_array()) return BadBatchAnswer("no batch list");
  for (const json& item : (*j)["data"]) {
    auto b = ParseBatch(item);
    if (!b.ok()) return b.status();
    if (b->input_file_id == input_file_id) return std::optional<BatchState>(std::move(*b));
  }
  return std::optional<BatchState>();
}

Result<BatchState> OpenAiBatchClient::CreateBatch(const std::string& input_file_id,
                                                  const CallContext& ctx) {
  auto j = impl_->CallJson(
      [&] {
        http::HttpRequest req = impl_->Request("POST", "/v1/batches");
        req.headers = {{"Content-Type", "application/json"}};
        req.body = json{
            {"input_file_id", input_file_id},
            {"endpoint", "/v1/embeddings"},
            {"completion_window",
             "24h"}}.dump();
        return req;
      },
      "batches.create", ctx, /*retry_transient=*/false);
  if (!j.ok()) return j.status();
  return ParseBatch(*j);
}

Result<BatchState> OpenAiBatchClient::GetBatch(const std::string& batch_id,
                                               const CallContext& ctx) {
  auto j = impl_->CallJson([&] { return impl_->Request("GET", "/v1/batches/" + batch_id); },
                           "batches.retrieve", ctx);
  if (!j.ok()) return j.status();
  return ParseBatch(*j);
}

Result<std::vector<BatchLineResult>> OpenAiBatchClient::ReadResults(
    const BatchState& batch, const std::vector<BatchInput>& inputs, const CallContext& ctx) {
  std::unordered_map<std::string, size_t> index;
  std::vector<BatchLineResult> out(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    index[inputs[i].custom_id] = i;
    out[i].custom_id = inputs[i].custom_id;
    out[i].error_code = "BATCH_LINE_MISSING";
  }
  for (const std::string* file : {&batch.output_file_id, &batch.error_file_id}) {
    if (file->empty()) continue;
    auto content = impl_->FileContent(*file, ctx);
    if (!content.ok()) return content.status();
    size_t pos = 0;
    while (pos < content->size()) {
      size_t end = content->find('\n', pos);
      if (end == std::string::npos) end = content->size();
      const json line = json::parse(content->substr(pos, end - pos), nullptr, false);
      pos = end + 1;
      if (line.is_discarded()) continue;  // a blank or torn line: its input stays missing
      auto it = index.find(StringOr(line, "custom_id"));
      if (it == index.end()) continue;
      BatchLineResult& r = out[it->second];
      const json* response =
          line.contains("response") && line["response"].is_object() ? &line["response"] : nullptr;
      if (response != nullptr && IntOr(*response, "status_code") == 200 &&
          response->contains("body")) {
        auto parsed = openai::ParseEmbeddingsBody((*response)["body"].dump(), 1, impl_->dims);
        if (parsed.ok()) {
          r.vector = std::move(parsed->vectors.front());
          r.tokens = parsed->total_tokens;
          r.error_code.clear();
        } else {
          // Billed all the same: our own count, as the synchronous embedder does.
          r.tokens = CountTokens(inputs[it->second].text);
          r.error_code = parsed.status().code();
        }
        continue;
      }
      r.vector.clear();
      r.tokens = 0;
      if (line.contains("error") && line["error"].is_object()) {
        r.error_code = StringOr(line["error"], "code");
      } else if (response != nullptr && response->contains("body") &&
                 (*response)["body"].is_object() && (*response)["body"].contains("error")) {
        r.error_code = StringOr((*response)["body"]["error"], "code");
        if (r.error_code.empty()) r.error_code = StringOr((*response)["body"]["error"], "type");
      }
      if (r.error_code.empty()) r.error_code = "BATCH_LINE_FAILED";
    }
  }
  return out;
}

}  // namespace ingestd
