#include "tests/fakes/fake_openai_server.h"

#include <deque>
#include <limits>
#include <mutex>
#include <set>

#include "core/crypto.h"
#include "services/det_random.h"
#include "services/openai_wire.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/fake_openai_batches.h"
#include "text/tokenizer.h"

namespace ingestd::fakes {
using nlohmann::json;

namespace {

constexpr size_t kMaxInputs = 2048;
constexpr int64_t kMaxInputTokens = 8192;
constexpr int64_t kMaxRequestTokens = 300'000;
constexpr std::string_view kModelsPrefix = "/v1/models/";

using Reply = FakeReply;

Reply Error(int status, std::string_view message, std::string_view type,
            std::string_view param = {}, std::string_view code = {}) {
  return FakeReply{
      FakeReply::kSend, status, openai::ErrorBody(message, type, param, code).dump(), {}};
}

Reply InvalidInput(std::string_view message) {
  return Error(400, message, "invalid_request_error", "input");
}

std::string Masked(std::string_view key) {
  if (key.size() <= 8) return "****";
  return std::string(key.substr(0, 3)) + "****" + std::string(key.substr(key.size() - 4));
}

}  // namespace

struct FakeOpenAiServer::Impl {
  FakeOpenAiOptions options;
  mutable std::mutex mu;
  std::deque<FaultSpec> faults;
  std::set<std::string> keys;     // accepted (options.api_key and AddKey's)
  std::set<std::string> revoked;  // answered 401 invalid_api_key
  EmbedFault outage = EmbedFault::kNone;
  json answer_patch;  // null: none (SetAnswerPatch)
  std::vector<LoggedRequest> log;
  uint64_t request_seq = 0;
  int billed_answers = 0;
  std::function<void(int)> before_billed_answer;
  // Files and batches; their lines run through Embeddings (no faults, no log entry).
  FakeOpenAiBatches batches{
      [this](const std::string& body, int64_t* tokens) { return Embeddings(body, tokens); },
      [](int status, const std::string& message, const std::string& type, const std::string& param,
         const std::string& code) { return Error(status, message, type, param, code); }};
  std::unique_ptr<FakeHttpServer> http;  // last: its threads use the members above

  FakeReply Serve(const FakeRequest& req) {
    const size_t log_index = Log(req);
    if (options.latency_ms > 0 && !http->Wait(options.latency_ms)) {
      return FakeReply{FakeReply::kHang, 0, "", {}};
    }
    bool slow = false;
    FakeReply reply = Handle(req, log_index, &slow);
    if (reply.status == 200) reply.body = Patched(std::move(reply.body));
    if (reply.status >= 400 && !options.should_retry.empty()) {
      reply.headers.emplace_back("x-should-retry", options.should_retry);
    }
    const bool billed =
        req.target == "/v1/embeddings" && reply.status == 200 && reply.action != FakeReply::kHang;
    std::function<void(int)> hook;
    int billed_count = 0;
    {
      std::lock_guard lock(mu);
      log[log_index].status = reply.action == FakeReply::kSend ? reply.status : 0;
      log[log_index].billed = billed;
      if (billed) billed_count = ++billed_answers;
      hook = before_billed_answer;
    }
    if (billed && hook) hook(billed_count);
    if (slow) http->Wait(options.hang_ms);  // answers all the same (to a closed socket)
    return reply;
  }

  std::string Patched(std::string body) {
    std::lock_guard lock(mu);
    if (answer_patch.is_null()) return body;
    json j = json::parse(body, nullptr, false);
    if (!j.is_object()) return body;  // a data fault's broken JSON stays broken
    j.merge_patch(answer_patch);
    return j.dump();
  }

  size_t Log(const FakeRequest& req) {
    LoggedRequest entry;
    entry.method = req.method;
    entry.target = req.target;
    entry.authorization = req.Header("authorization");
    entry.correlation_id = req.Header("x-correlation-id");
    entry.traceparent = req.Header("traceparent");
    entry.tracestate = req.Header("tracestate");
    entry.body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (entry.body.is_discarded()) entry.body = nullptr;
    std::lock_guard lock(mu);
    log.push_back(std::move(entry));
    return log.size() - 1;
  }

  bool Accepts(std::string_view key) {
    std::lock_guard lock(mu);
    const std::string k(key);
    return keys.contains(k) && !revoked.contains(k);
  }

  FaultSpec NextFault(bool take_queued) {
    std::lock_guard lock(mu);
    if (outage != EmbedFault::kNone) return FaultSpec{outage, "", "", ""};
    if (!take_queued || faults.empty()) return {};
    FaultSpec f = faults.front();
    faults.pop_front();
    return f;
  }

  std::vector<std::pair<std::string, std::string>> RateHeaders(int64_t tokens) {
    std::lock_guard lock(mu);
    ++request_seq;
    return {{"x-request-id", "req_" + Sha256Hex(std::to_string(request_seq)).substr(0, 24)},
            {"openai-processing-ms", std::to_string(options.latency_ms)},
            {"x-ratelimit-limit-requests", std::to_string(options.limit_requests)},
            {"x-ratelimit-remaining-requests", std::to_string(options.remaining_requests)},
            {"x-ratelimit-reset-requests", options.reset_requests},
            {"x-ratelimit-limit-tokens", "10000000"},
            {"x-ratelimit-remaining-tokens", std::to_string(10'000'000 - tokens)},
            {"x-ratelimit-reset-tokens", "0s"}};
  }

  Reply Handle(const FakeRequest& req, size_t log_index, bool* slow) {
    const bool model_lookup = req.method == "GET" && req.target.starts_with(kModelsPrefix);
    const bool batch_api = FakeOpenAiBatches::Serves(req.target);
    if (!model_lookup && !batch_api && (req.method != "POST" || req.target != "/v1/embeddings")) {
      return Error(404, "Invalid URL (" + req.method + " " + req.target + ")",
                   "invalid_request_error");
    }
    const std::string auth = req.Header("authorization");
    if (!auth.starts_with("Bearer ") || auth.size() == 7) {
      return Error(401,
                   "You didn't provide an API key. You need to provide your API key in an "
                   "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                   "invalid_request_error");
    }
    const std::string_view key = std::string_view(auth).substr(7);
    if (!Accepts(key)) {
      return Error(
          401,
          "Incorrect API key provided: " + Masked(key) +
              ". You can find your API key at https://platform.openai.com/account/api-keys.",
          "invalid_request_error", "", "invalid_api_key");
    }
    // Model lookups and the Batch API never take the faults queued for embeddings requests
    // (a batch scripts its own: BatchPlan).
    const FaultSpec fault = NextFault(/*take_queued=*/!model_lookup && !batch_api);
    switch (fault.fault) {
      case EmbedFault::kRateLimit: {
        Reply r = Error(429,
                        "Rate limit reached for text-embedding-3-small in organization org-fake "
                        "on requests per min (RPM): Limit 3000, Used 3000, Requested 1.",
                        "requests", "", "rate_limit_exceeded");
        if (!fault.retry_after.empty()) r.headers.emplace_back("retry-after", fault.retry_after);
        if (!fault.retry_after_ms.empty()) {
          r.headers.emplace_back("retry-after-ms", fault.retry_after_ms);
        }
        if (!fault.reset_requests.empty()) {
          r.headers.emplace_back("x-ratelimit-remaining-requests", "0");
          r.headers.emplace_back("x-ratelimit-reset-requests", fault.reset_requests);
        }
        return r;
      }
      case EmbedFault::kQuota:
        return Error(429,
                     "You exceeded your current quota, please check your plan and billing "
                     "details.",
                     "insufficient_quota", "", "insufficient_quota");
      case EmbedFault::kServerError:
        return Error(500,
                     "The server had an error while processing your request. Sorry about that!",
                     "server_error");
      case EmbedFault::kUnavailable:
        return Error(503, "The engine is currently overloaded, please try again later.",
                     "server_error");
      case EmbedFault::kHang:
        return FakeReply{FakeReply::kHang, 0, "", {}};
      case EmbedFault::kMalformedJson:
        return FakeReply{FakeReply::kSend, 200, "<html>upstream proxy error</html>", {}};
      default:
        break;
    }
    if (model_lookup) return Model(req.target.substr(kModelsPrefix.size()));
    if (batch_api) return batches.Handle(req);
    *slow = fault.fault == EmbedFault::kSlowAnswer;
    int64_t tokens = 0;
    size_t inputs = 0;
    Reply ok = Embeddings(req.body, &tokens, &inputs);
    if (ok.status != 200) return ok;
    {
      std::lock_guard lock(mu);
      log[log_index].inputs = inputs;
      log[log_index].tokens = tokens;
    }
    return ApplyDataFault(fault.fault, std::move(ok));
  }

  // GET /v1/models/{model}: free; the model object, or 404 model_not_found.
  Reply Model(const std::string& model) {
    if (NativeDimensions(model) == 0) {
      return Error(404, "The model `" + model + "` does not exist or you do not have access to it.",
                   "invalid_request_error", "", "model_not_found");
    }
    const json body = {
        {"id", model}, {"object", "model"}, {"created", 1705953180}, {"owned_by", "system"}};
    return FakeReply{FakeReply::kSend, 200, body.dump(), RateHeaders(0)};
  }

  // POST /v1/embeddings without faults: the answer, and for a 200 its input tokens and count.
  Reply Embeddings(const std::string& text, int64_t* billed, size_t* count = nullptr) {
    json body = json::parse(text, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Error(400,
                   "We could not parse the JSON body of your request. (HINT: This likely means "
                   "you aren't using your HTTP library correctly.)",
                   "invalid_request_error");
    }
    if (!body.contains("model") || !body["model"].is_string()) {
      return Error(400, "you must provide a model parameter", "invalid_request_error");
    }
    const std::string model = body["model"];
    const int native = NativeDimensions(model);
    if (native == 0) {
      return Error(404, "The model `" + model + "` does not exist or you do not have access to it.",
                   "invalid_request_error", "", "model_not_found");
    }
    std::vector<std::string> inputs;
    if (!body.contains("input")) return InvalidInput("'input' is a required property");
    const json& input = body["input"];
    if (input.is_string()) {
      inputs.push_back(input);
    } else if (input.is_array() && !input.empty()) {
      for (const json& item : input) {
        if (!item.is_string())
          return InvalidInput(
              "'$.input' is invalid. Please check the API reference: "
              "https://platform.openai.com/docs/api-reference.");
        inputs.push_back(item);
      }
    } else {
      return InvalidInput(
          "'$.input' is invalid. Please check the API reference: "
          "https://platform.openai.com/docs/api-reference.");
    }
    if (inputs.size() > kMaxInputs) {
      return InvalidInput(
          "'$.input' is invalid. Please check the API reference: "
          "https://platform.openai.com/docs/api-reference.");
    }
    int64_t tokens = 0;
    const Tokenizer& tok = Tokenizer::Cl100kBase();
    for (const std::string& s : inputs) {
      if (s.empty())
        return InvalidInput(
            "'$.input' is invalid. Please check the API reference: "
            "https://platform.openai.com/docs/api-reference.");
      const auto n = static_cast<int64_t>(tok.Count(s));
      if (n > kMaxInputTokens) {
        return InvalidInput(
            "This model's maximum context length is 8192 tokens, however you "
            "requested " +
            std::to_string(n) + " tokens (" + std::to_string(n) +
            " in your prompt; 0 for the completion). Please reduce your prompt; "
            "or completion length.");
      }
      tokens += n;
    }
    if (tokens > kMaxRequestTokens) {
      return Error(400,
                   "Requested " + std::to_string(tokens) + " tokens, max 300000 tokens per request",
                   "max_tokens_per_request", "", "max_tokens_per_request");
    }
    int dims = native;
    if (body.contains("dimensions")) {
      const json& d = body["dimensions"];
      if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > native ||
          model == "text-embedding-ada-002") {
        return Error(400, "This model does not support specifying dimensions.",
                     "invalid_request_error", "dimensions");
      }
      dims = d.get<int>();
    }
    const std::string format = body.value("encoding_format", std::string("float"));
    if (format != "float" && format != "base64") {
      return Error(400, "'" + format + "' is not one of ['float', 'base64'] - 'encoding_format'",
                   "invalid_request_error", "encoding_format");
    }
    *billed = tokens;
    if (count != nullptr) *count = inputs.size();
    json data = json::array();
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::vector<float> v = VectorFor(model, dims, inputs[i]);
      json item = {{"object", "embedding"}, {"index", i}};
      if (format == "base64") {
        item["embedding"] = openai::EncodeFloat32Base64(v);
      } else {
        item["embedding"] = v;
      }
      data.push_back(std::move(item));
    }
    if (options.reverse_data) std::reverse(data.begin(), data.end());
    json out = {{"object", "list"},
                {"data", std::move(data)},
                {"model", model},
                {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
    return FakeReply{FakeReply::kSend, 200, out.dump(), RateHeaders(tokens)};
  }

  static Reply ApplyDataFault(EmbedFault fault, Reply ok) {
    if (fault == EmbedFault::kNone || fault == EmbedFault::kSlowAnswer) return ok;
    if (fault == EmbedFault::kTruncatedJson) {
      ok.body.resize(ok.body.size() / 2);
      return ok;
    }
    if (fault == EmbedFault::kTruncatedBody) {
      ok.action = FakeReply::kCut;
      return ok;
    }
    json body = json::parse(ok.body);
    json& first = body["data"][0]["embedding"];
    auto mutate = [&](auto&& fn) {
      if (first.is_string()) {
        std::vector<float> v = *openai::DecodeFloat32Base64(first.get<std::string>());
        fn(v);
        first = openai::EncodeFloat32Base64(v);
      } else {
        std::vector<float> v = first.get<std::vector<float>>();
        fn(v);
        first = v;  // a NaN serializes as null: JSON has no NaN
      }
    };
    if (fault == EmbedFault::kWrongCount) body["data"].erase(body["data"].size() - 1);
    if (fault == EmbedFault::kWrongDimension) mutate([](std::vector<float>& v) { v.pop_back(); });
    if (fault == EmbedFault::kNaN) {
      mutate([](std::vector<float>& v) { v[0] = std::numeric_limits<float>::quiet_NaN(); });
    }
    ok.body = body.dump();
    return ok;
  }
};

FakeOpenAiServer::FakeOpenAiServer(FakeOpenAiOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->keys.insert(impl_->options.api_key);
  impl_->http =
      std::make_unique<FakeHttpServer>([this](const FakeRequest& req) { return impl_->Serve(req); },
                                       impl_->options.hang_ms, impl_->options.port);
}

FakeOpenAiServer::~FakeOpenAiServer() { impl_->http.reset(); }

int FakeOpenAiServer::port() const { return impl_->http->port(); }

std::string FakeOpenAiServer::base_url() const { return impl_->http->base_url(); }

void FakeOpenAiServer::PushFaults(std::vector<FaultSpec> faults) {
  std::lock_guard lock(impl_->mu);
  for (auto& f : faults) impl_->faults.push_back(std::move(f));
}

void FakeOpenAiServer::AddKey(const std::string& key) {
  std::lock_guard lock(impl_->mu);
  impl_->keys.insert(key);
  impl_->revoked.erase(key);
}

void FakeOpenAiServer::RevokeKey(const std::string& key) {
  std::lock_guard lock(impl_->mu);
  impl_->revoked.insert(key);
}

void FakeOpenAiServer::SetOutage(EmbedFault fault) {
  std::lock_guard lock(impl_->mu);
  impl_->outage = fault;
}

void FakeOpenAiServer::SetAnswerPatch(nlohmann::json merge_patch) {
  std::lock_guard lock(impl_->mu);
  impl_->answer_patch = std::move(merge_patch);
}

std::vector<LoggedRequest> FakeOpenAiServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}

int FakeOpenAiServer::connections_accepted() const { return impl_->http->connections_accepted(); }

int64_t FakeOpenAiServer::billed_tokens() const {
  std::lock_guard lock(impl_->mu);
  int64_t sum = 0;
  for (const LoggedRequest& r : impl_->log) {
    if (r.billed) sum += r.tokens;
  }
  return sum;
}

void FakeOpenAiServer::PushBatchPlan(BatchPlan plan) { impl_->batches.PushPlan(std::move(plan)); }

void FakeOpenAiServer::ReleaseBatch(const std::string& batch_id) {
  impl_->batches.Release(batch_id);
}

void FakeOpenAiServer::SetBatchMaxFileBytes(size_t bytes) { impl_->batches.SetMaxFileBytes(bytes); }

int FakeOpenAiServer::batches_created() const { return impl_->batches.batches_created(); }

int FakeOpenAiServer::batch_files_uploaded() const { return impl_->batches.files_uploaded(); }

std::vector<FakeBatchView> FakeOpenAiServer::batches() const { return impl_->batches.batches(); }

const FakeOpenAiBatches& FakeOpenAiServer::batch_api() const { return impl_->batches; }

int64_t FakeOpenAiServer::batch_billed_tokens() const { return impl_->batches.billed_tokens(); }

void FakeOpenAiServer::SetBeforeBilledAnswer(std::function<void(int billed)> hook) {
  std::lock_guard lock(impl_->mu);
  impl_->before_billed_answer = std::move(hook);
}

int FakeOpenAiServer::NativeDimensions(std::string_view model) {
  if (model == "text-embedding-3-small" || model == "text-embedding-ada-002") return 1536;
  if (model == "text-embedding-3-large") return 3072;
  return 0;
}

std::vector<float> FakeOpenAiServer::VectorFor(std::string_view model, int dimensions,
                                               std::string_view text) {
  // Uniform in [-1, 1): distinct per text, stable across runs and processes.
  SplitMix64 rng(Fnv1a64(text, Fnv1a64(model)));
  std::vector<float> out(static_cast<size_t>(dimensions));
  for (float& v : out)
    v = static_cast<float>(static_cast<double>(rng.Next() >> 11) * 0x1.0p-52 - 1.0);
  return out;
}

}  // namespace ingestd::fakes
