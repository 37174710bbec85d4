#include "tests/fakes/fake_openai_batches.h"

#include <chrono>

#include "core/crypto.h"
#include "tests/fakes/fake_multipart.h"

namespace ingestd::fakes {
using nlohmann::json;

namespace {

constexpr std::string_view kFilesPrefix = "/v1/files";
constexpr std::string_view kBatchesPrefix = "/v1/batches";
constexpr int64_t kFileLifetimeS = 30 * 24 * 3600;  // purpose=batch files expire after 30 days
constexpr int64_t kWindowS = 24 * 3600;

const std::set<std::string>& FilePurposes() {
  static const std::set<std::string> kPurposes = {"assistants", "batch",     "fine-tune",
                                                  "vision",     "user_data", "evals"};
  return kPurposes;
}

std::vector<std::string> SplitLines(const std::string& content) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    std::string line = content.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
    pos = end + 1;
  }
  return lines;
}

size_t InputsOf(const json& body) {
  if (!body.is_object() || !body.contains("input")) return 0;
  const json& input = body["input"];
  return input.is_array() ? input.size() : 1;
}

}  // namespace

bool FakeOpenAiBatches::Serves(const std::string& target) {
  return target.starts_with(kFilesPrefix) || target.starts_with(kBatchesPrefix);
}

FakeReply FakeOpenAiBatches::Handle(const FakeRequest& req) {
  const std::string& t = req.target;
  const std::string path = t.substr(0, t.find('?'));
  if (req.method == "POST" && path == kFilesPrefix) return Upload(req);
  if (req.method == "POST" && path == kBatchesPrefix) return Create(req.body);
  if (req.method == "GET" && path == kBatchesPrefix) return List();
  if (path.starts_with(std::string(kBatchesPrefix) + "/")) {
    std::string id = path.substr(kBatchesPrefix.size() + 1);
    if (req.method == "POST" && id.ends_with("/cancel")) {
      return Cancel(id.substr(0, id.size() - 7));
    }
    if (req.method == "GET" && id.find('/') == std::string::npos) return Poll(id);
  }
  if (req.method == "GET" && path.starts_with(std::string(kFilesPrefix) + "/") &&
      path.ends_with("/content")) {
    const size_t from = kFilesPrefix.size() + 1;
    return Content(path.substr(from, path.size() - from - 8));
  }
  return error_(404, "Invalid URL (" + req.method + " " + req.target + ")", "invalid_request_error",
                "", "");
}

FakeReply FakeOpenAiBatches::Json(const json& body) const {
  return FakeReply{FakeReply::kSend, 200, body.dump(), {}};
}

FakeReply FakeOpenAiBatches::NotFound(const std::string& what, const std::string& id) const {
  return error_(404, "No such " + what + ": '" + id + "'", "invalid_request_error", "id", "");
}

int64_t FakeOpenAiBatches::Now() { return ++clock_; }

std::string FakeOpenAiBatches::NewFile(std::string purpose, std::string filename,
                                       std::string content) {
  File f;
  f.id = "file-" + Sha256Hex("file" + std::to_string(++seq_)).substr(0, 24);
  f.purpose = std::move(purpose);
  f.filename = std::move(filename);
  f.content = std::move(content);
  f.created_at = Now();
  const std::string id = f.id;
  files_[id] = std::move(f);
  return id;
}

FakeReply FakeOpenAiBatches::Upload(const FakeRequest& req) {
  std::string purpose, filename, data;
  bool has_file = false;
  for (const FormPart& p : ParseMultipart(req.Header("content-type"), req.body)) {
    if (p.name == "purpose") purpose = p.data;
    if (p.name == "file") {
      has_file = true;
      filename = p.filename;
      data = p.data;
    }
  }
  if (!has_file) {
    return error_(400, "'file' is a required property", "invalid_request_error", "file", "");
  }
  if (!FilePurposes().contains(purpose)) {
    return error_(400, "'" + purpose + "' is not one of the supported purposes",
                  "invalid_request_error", "purpose", "");
  }
  if (purpose == "batch" && !filename.ends_with(".jsonl")) {
    return error_(400, "Invalid file format for Batch API. Must be .jsonl", "invalid_request_error",
                  "file", "");
  }
  std::lock_guard lock(mu_);
  if (purpose == "batch" && data.size() > max_file_bytes_) {
    return error_(400, "File is too large: the Batch API accepts files up to 200 MB",
                  "invalid_request_error", "file", "");
  }
  const size_t bytes = data.size();
  const std::string id = NewFile(purpose, filename, std::move(data));
  const File& f = files_[id];
  return Json({{"id", id},
               {"object", "file"},
               {"bytes", bytes},
               {"created_at", f.created_at},
               {"expires_at", f.created_at + kFileLifetimeS},
               {"filename", f.filename},
               {"purpose", f.purpose},
               {"status", "processed"},
               {"status_details", nullptr}});
}

FakeReply FakeOpenAiBatches::Create(const std::string& text) {
  const json body = json::parse(text, nullptr, false);
  if (!body.is_object()) {
    return error_(400, "We could not parse the JSON body of your request.", "invalid_request_error",
                  "", "");
  }
  const std::string input = body.value("input_file_id", "");
  const std::string endpoint = body.value("endpoint", "");
  const std::string window = body.value("completion_window", "");
  if (endpoint != "/v1/embeddings") {
    // The real API takes other endpoints too; this fake only runs embeddings.
    return error_(400, "Invalid value for 'endpoint': the fake runs /v1/embeddings only",
                  "invalid_request_error", "endpoint", "");
  }
  if (window != "24h") {
    return error_(400, "Invalid value for 'completion_window': only '24h' is supported",
                  "invalid_request_error", "completion_window", "");
  }
  std::lock_guard lock(mu_);
  auto file = files_.find(input);
  if (file == files_.end()) return NotFound("file", input);
  if (file->second.purpose != "batch") {
    return error_(400, "The input file must be uploaded with purpose 'batch'",
                  "invalid_request_error", "input_file_id", "");
  }
  Batch b;
  b.view.id = "batch_" + Sha256Hex("batch" + std::to_string(++seq_)).substr(0, 24);
  b.view.status = "validating";
  b.view.input_file_id = input;
  b.created_at = Now();
  if (!plans_.empty()) {
    b.plan = plans_.front();
    plans_.erase(plans_.begin());
  }
  const std::string id = b.view.id;
  batch_order_.push_back(id);
  batches_[id] = std::move(b);
  return Json(BatchJson(batches_[id]));
}

json FakeOpenAiBatches::BatchJson(const Batch& b) const {
  json j = {
      {"id", b.view.id},
      {"object", "batch"},
      {"endpoint", "/v1/embeddings"},
      {"errors", b.errors},
      {"input_file_id", b.view.input_file_id},
      {"completion_window", "24h"},
      {"status", b.view.status},
      {"output_file_id", nullptr},
      {"error_file_id", nullptr},
      {"created_at", b.created_at},
      {"expires_at", b.created_at + kWindowS},
      {"metadata", nullptr},
      {"request_counts", {{"total", b.total}, {"completed", b.completed}, {"failed", b.failed}}}};
  for (const char* k : {"in_progress_at", "finalizing_at", "completed_at", "failed_at",
                        "expired_at", "cancelling_at", "cancelled_at"}) {
    auto it = b.at.find(k);
    j[k] = it == b.at.end() ? json(nullptr) : json(it->second);
  }
  if (!b.view.output_file_id.empty()) j["output_file_id"] = b.view.output_file_id;
  if (!b.view.error_file_id.empty()) j["error_file_id"] = b.view.error_file_id;
  if (b.input_tokens > 0) {
    j["usage"] = {{"input_tokens", b.input_tokens},
                  {"input_tokens_details", {{"cached_tokens", 0}}},
                  {"output_tokens", 0},
                  {"output_tokens_details", {{"reasoning_tokens", 0}}},
                  {"total_tokens", b.input_tokens}};
  }
  return j;
}

void FakeOpenAiBatches::Validate(Batch* b) {
  const std::vector<std::string> lines = SplitLines(files_[b->view.input_file_id].content);
  json data = json::array();
  auto fail = [&](std::string code, std::string message, size_t line, std::string param) {
    data.push_back({{"code", std::move(code)},
                    {"message", std::move(message)},
                    {"line", line == 0 ? json(nullptr) : json(line)},
                    {"param", param.empty() ? json(nullptr) : json(param)}});
  };
  std::set<std::string> seen;
  size_t inputs = 0;
  for (size_t i = 0; i < lines.size() && data.size() < 10; ++i) {
    const json line = json::parse(lines[i], nullptr, false);
    if (!line.is_object()) {
      fail("invalid_json_line", "This line is not parseable as valid JSON.", i + 1, "");
      continue;
    }
    const std::string custom_id = line.value("custom_id", "");
    if (custom_id.empty())
      fail("missing_required_parameter", "custom_id is required", i + 1, "custom_id");
    if (!seen.insert(custom_id).second) {
      fail("duplicate_custom_id",
           "The custom_id for this request is a duplicate of another request.", i + 1, "custom_id");
    }
    if (line.value("method", "") != "POST")
      fail("invalid_request", "method must be POST", i + 1, "method");
    if (line.value("url", "") != "/v1/embeddings") {
      fail("mismatched_endpoint", "The provided URL does not match the endpoint of the batch.",
           i + 1, "url");
    }
    if (!line.contains("body") || !line["body"].is_object()) {
      fail("invalid_request", "body must be an object", i + 1, "body");
    } else {
      inputs += InputsOf(line["body"]);
    }
    b->view.custom_ids.push_back(custom_id);
  }
  if (lines.empty()) fail("empty_file", "The input file is empty.", 0, "input_file_id");
  if (lines.size() > kMaxRequests) {
    fail("too_many_requests", "The input file holds more than 50,000 requests.", 0,
         "input_file_id");
  }
  if (inputs > kMaxEmbeddingInputs) {
    fail("too_many_inputs", "/v1/embeddings batches are limited to 50,000 embedding inputs.", 0,
         "input_file_id");
  }
  if (b->plan.outcome == BatchOutcome::kFailed && data.empty()) {
    fail("invalid_request", "The batch failed validation (scripted by the test).", 1, "");
  }
  b->total = static_cast<int64_t>(lines.size());
  if (!data.empty()) b->errors = {{"object", "list"}, {"data", std::move(data)}};
}

void FakeOpenAiBatches::Run(Batch* b) {
  const std::vector<std::string> lines = SplitLines(files_[b->view.input_file_id].content);
  const bool partial = b->plan.outcome != BatchOutcome::kCompleted;
  const size_t to_run =
      partial ? std::min(lines.size(), b->plan.lines_before_expiry) : lines.size();
  std::string output, errors;
  for (size_t i = 0; i < lines.size(); ++i) {
    const json line = json::parse(lines[i]);
    const std::string custom_id = line["custom_id"];
    json out = {{"id", "batch_req_" + Sha256Hex(b->view.id + custom_id).substr(0, 24)},
                {"custom_id", custom_id},
                {"response", nullptr},
                {"error", nullptr}};
    const std::string request_id = "req_" + Sha256Hex(out["id"].get<std::string>()).substr(0, 24);
    bool ok = false;
    if (i >= to_run) {
      const bool expired = b->plan.outcome == BatchOutcome::kExpired;
      out["error"] = {{"code", expired ? "batch_expired" : "batch_cancelled"},
                      {"message", expired ? "This request could not be executed before the "
                                            "completion window expired."
                                          : "This request was not executed: the batch was "
                                            "cancelled."}};
    } else {
      FakeReply reply;
      int64_t tokens = 0;
      if (b->plan.failing_custom_ids.contains(custom_id)) {
        reply =
            error_(500, "The server had an error while processing your request. Sorry about that!",
                   "server_error", "", "");
      } else {
        reply = embed_(line["body"].dump(), &tokens);
      }
      ok = reply.status == 200;
      if (ok) {
        billed_ += tokens;
        b->input_tokens += tokens;
      }
      out["response"] = {{"status_code", reply.status},
                         {"request_id", request_id},
                         {"body", json::parse(reply.body, nullptr, false)}};
    }
    (ok ? output : errors) += out.dump() + "\n";
    ++(ok ? b->completed : b->failed);
  }
  if (!output.empty())
    b->view.output_file_id = NewFile("batch_output", "batch_output.jsonl", std::move(output));
  if (!errors.empty())
    b->view.error_file_id = NewFile("batch_output", "batch_errors.jsonl", std::move(errors));
}

FakeReply FakeOpenAiBatches::Poll(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = batches_.find(id);
  if (it == batches_.end()) return NotFound("batch", id);
  Batch& b = it->second;
  ++b.view.polls;
  ++polls_;
  polled_.notify_all();
  const std::string status = b.view.status;
  auto move_to = [&](const std::string& next) {
    b.view.status = next;
    b.at[next + "_at"] = Now();
  };
  if (status == "validating") {
    Validate(&b);
    move_to(b.errors.is_null() ? "in_progress" : "failed");
  } else if (status == "in_progress" && !b.plan.hold_in_progress) {
    if (b.plan.outcome == BatchOutcome::kCompleted) {
      move_to("finalizing");
    } else if (b.plan.outcome == BatchOutcome::kExpired) {
      Run(&b);
      move_to("expired");
    } else if (b.plan.outcome == BatchOutcome::kCancelled) {
      move_to("cancelling");
    }
  } else if (status == "finalizing") {
    Run(&b);
    move_to("completed");
  } else if (status == "cancelling") {
    Run(&b);
    move_to("cancelled");
  }
  return Json(BatchJson(b));
}

FakeReply FakeOpenAiBatches::List() {
  std::lock_guard lock(mu_);
  json data = json::array();
  // Newest first, as the API lists them.
  for (auto it = batch_order_.rbegin(); it != batch_order_.rend(); ++it) {
    data.push_back(BatchJson(batches_[*it]));
  }
  const json first = data.empty() ? json(nullptr) : data.front()["id"];
  const json last = data.empty() ? json(nullptr) : data.back()["id"];
  return Json({{"object", "list"},
               {"data", std::move(data)},
               {"first_id", first},
               {"last_id", last},
               {"has_more", false}});
}

FakeReply FakeOpenAiBatches::Cancel(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = batches_.find(id);
  if (it == batches_.end()) return NotFound("batch", id);
  Batch& b = it->second;
  if (b.view.status != "validating" && b.view.status != "in_progress") {
    return error_(409, "Cannot cancel a batch with status '" + b.view.status + "'.",
                  "invalid_request_error", "", "");
  }
  b.plan.outcome = BatchOutcome::kCancelled;
  b.plan.hold_in_progress = false;
  b.plan.lines_before_expiry = 0;
  if (b.total == 0) Validate(&b);
  b.view.status = "cancelling";
  b.at["cancelling_at"] = Now();
  return Json(BatchJson(b));
}

FakeReply FakeOpenAiBatches::Content(const std::string& file_id) {
  std::lock_guard lock(mu_);
  auto it = files_.find(file_id);
  if (it == files_.end()) return NotFound("file", file_id);
  FakeReply r{FakeReply::kSend, 200, it->second.content, {}};
  r.content_type = "application/octet-stream";
  return r;
}

void FakeOpenAiBatches::PushPlan(BatchPlan plan) {
  std::lock_guard lock(mu_);
  plans_.push_back(std::move(plan));
}

void FakeOpenAiBatches::Release(const std::string& batch_id) {
  std::lock_guard lock(mu_);
  auto it = batches_.find(batch_id);
  if (it != batches_.end()) it->second.plan.hold_in_progress = false;
}

void FakeOpenAiBatches::SetMaxFileBytes(size_t bytes) {
  std::lock_guard lock(mu_);
  max_file_bytes_ = bytes;
}

int FakeOpenAiBatches::batches_created() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(batches_.size());
}

int FakeOpenAiBatches::files_uploaded() const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& [id, f] : files_) n += f.purpose == "batch" ? 1 : 0;
  return n;
}

std::vector<FakeBatchView> FakeOpenAiBatches::batches() const {
  std::lock_guard lock(mu_);
  std::vector<FakeBatchView> out;
  for (const std::string& id : batch_order_) out.push_back(batches_.at(id).view);
  return out;
}

bool FakeOpenAiBatches::WaitForPolls(int polls, int64_t timeout_ms) const {
  std::unique_lock lock(mu_);
  return polled_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                          [&] { return polls_ >= polls; });
}

int64_t FakeOpenAiBatches::billed_tokens() const {
  std::lock_guard lock(mu_);
  return billed_;
}

}  // namespace ingestd::fakes
