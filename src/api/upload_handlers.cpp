// POST /api/v1/upload (two-step: declare, then PUT the bytes to a signed URL),
// PUT /api/v1/blobs/{token}, and POST /api/v1/documents (one-shot multipart).
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/callback_url.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/multipart.h"
#include "api/router.h"
#include "api/upload_limits.h"
#include "api/upload_preflight.h"
#include "api/upload_sink.h"
#include "api/upload_token.h"
#include "api/validation.h"
#include "api/views.h"
#include "core/blob_names.h"
#include "core/ids.h"
#include "core/json_read.h"
#include "core/log.h"
#include "core/trace.h"
#include "services/pdf_pages.h"

namespace ingestd::api {
namespace {

using nlohmann::json;

Status SizeMismatch(int64_t declared) {
  return Status::InvalidArgument("SIZE_MISMATCH", "the body length does not match the " +
                                                      std::to_string(declared) +
                                                      " bytes declared for this upload");
}

// Looks up `key` in the upload request; fills *out or says what is wrong with it. An
// integer must fit int64 (2^64-1 read as int64 would be -1).
Status Field(const json& body, const char* key, std::string* out) {
  if (!json_read::Find(body, key) || body[key].is_null()) return MissingField(key);
  auto v = json_read::String(body, key);
  if (!v) return WrongType(key, "a string");
  *out = std::move(*v);
  return Status();
}
Status Field(const json& body, const char* key, int64_t* out) {
  if (!json_read::Find(body, key) || body[key].is_null()) return MissingField(key);
  auto v = json_read::Int(body, key);
  if (!v) return WrongType(key, "an integer");
  *out = *v;
  return Status();
}

// The records of a new upload, owned by the caller.
std::pair<Document, Job> NewRecords(const ApiContext& ctx, const ApiRequest& req,
                                    std::string filename, int64_t size, std::string sha256,
                                    JobStatus status) {
  Document doc;
  doc.id = NewUuidV4();
  doc.user_id = req.caller->sub;
  doc.filename = std::move(filename);
  doc.mime = std::string(kPdfMime);
  doc.size_bytes = size;
  doc.sha256 = std::move(sha256);
  if (status != JobStatus::kAwaitingUpload) doc.blob_key = DocumentBlobKey(doc.id);
  Job job;
  job.id = NewUuidV4();
  job.document_id = doc.id;
  job.user_id = doc.user_id;
  job.status = status;
  job.state = QueueState::kQueued;
  job.correlation_id = req.correlation_id;
  if (!req.trace.span_id.empty()) {
    job.traceparent = trace::FormatTraceparent(req.trace);
    job.tracestate = req.trace.tracestate;
  }
  job.service_mode = ctx.options.service_mode;
  return {std::move(doc), std::move(job)};
}

// An upload's callback_url, checked (callback_url.h) into job->callback_url.
Status SetCallbackUrl(const ApiContext& ctx, std::string_view url, Job* job) {
  if (!ctx.options.callbacks_enabled) {
    return Status::InvalidArgument("CALLBACKS_NOT_CONFIGURED",
                                   "this server sends no callbacks (INGESTD_CALLBACK_SECRET is "
                                   "not set): upload without callback_url");
  }
  Result<CallbackTarget> target = ResolveCallbackUrl(url, ctx.options.callback_urls);
  if (!target.ok()) return target.status();
  job->callback_url = std::string(url);
  return Status();
}

// Runs the configured page counter over a committed upload: the page count, -1 when no
// counter is configured, or the reason the PDF is unusable.
Result<int> CountUploadPages(const ApiContext& ctx, const std::string& key) {
  if (!ctx.count_pages) return -1;
  auto path = ctx.blobs->LocalPath(key);
  if (!path.ok()) return path.status();
  return ctx.count_pages(*path);
}

// The page count pre-flight estimates with: the upload's own count when the page counter
// ran, else (only when a paid service will see the file) the heuristic counter over the
// stored bytes; -1 when unknown (the estimate then goes by size).
int64_t PagesForEstimate(const ApiContext& ctx, const std::string& key, int counted) {
  if (counted > 0 || ctx.preflight == nullptr || !ctx.preflight->PaidServices()) return counted;
  auto path = ctx.blobs->LocalPath(key);
  if (!path.ok()) return -1;
  std::ifstream f(*path, std::ios::binary);
  if (!f) return -1;
  return CountPdfPages(std::string(std::istreambuf_iterator<char>(f), {}));
}

// Pre-flight of a new upload (upload_preflight.h): fills the job's routing and cost facts,
// or says why the upload is refused. No pre-flight configured: accepted as is.
Status Preflight(const ApiContext& ctx, int64_t size_bytes, int64_t pages, Job* job) {
  if (ctx.preflight == nullptr) return Status();
  Status s = ctx.preflight->Check({job->user_id, size_bytes, pages}, job);
  if (!s.ok()) {
    log::Warn("upload refused by pre-flight", {{"correlation_id", job->correlation_id},
                                               {"job_id", job->id},
                                               {"code", s.code()},
                                               {"size_bytes", size_bytes}});
  }
  return s;
}

// "embed_via": "batch" (the OpenAI Batch API: half the price, within 24 h) or "sync" (the
// default); kept in the job's router_config, which the embed stage reads. Set after the
// pre-flight, which writes router_config afresh.
Status SetEmbedVia(const std::optional<std::string>& via, Job* job) {
  if (!via || *via == "sync") return Status();
  if (*via != "batch") {
    return Status::InvalidArgument("INVALID_FIELD", "field 'embed_via' must be 'batch' or 'sync'");
  }
  job->router_config["embed_via"] = "batch";
  return Status();
}

void LogUpload(const char* msg, const CreateUploadResult& r) {
  log::Info(msg, {{"correlation_id", r.job.correlation_id},
                  {"job_id", r.job.id},
                  {"document_id", r.document.id},
                  {"duplicate", r.duplicate}});
}

// PUT /api/v1/blobs/{token}: streams the bytes, then verifies them against the grant.
class BlobPutExchange final : public Exchange {
 public:
  BlobPutExchange(ApiContext* ctx, ApiRequest req, UploadGrant grant,
                  std::unique_ptr<BlobWriter> writer)
      : ctx_(ctx),
        req_(std::move(req)),
        grant_(std::move(grant)),
        sink_(std::move(writer), grant_.size_bytes, SizeMismatch(grant_.size_bytes)) {}

  Status OnBody(std::string_view data) override { return sink_.Append(data); }

  ApiResponse Finish() override {
    Status s = Verify();
    if (!s.ok()) return ErrorResponse(s, req_.correlation_id);
    auto job = ctx_->store->GetJobUnscoped(grant_.job_id);
    if (!job.ok()) return ErrorResponse(job.status(), req_.correlation_id);
    if (job->status != JobStatus::kAwaitingUpload) {
      return ErrorResponse(Status::Conflict("UPLOAD_ALREADY_COMPLETED",
                                            "the bytes of this upload were already received"),
                           req_.correlation_id);
    }
    std::string key = DocumentBlobKey(grant_.document_id);
    if (s = sink_.Commit(); !s.ok()) return ErrorResponse(s, req_.correlation_id);
    auto pages = CountUploadPages(*ctx_, key);
    if (!pages.ok()) {
      ctx_->blobs->Delete(key);  // the job stays awaiting_upload; the client may try again
      return ErrorResponse(pages.status(), req_.correlation_id);
    }
    // Checked again now that the pages can be counted: the declared size was a guess.
    Job checked = *job;
    s = Preflight(*ctx_, sink_.size(), PagesForEstimate(*ctx_, key, *pages), &checked);
    if (!s.ok()) {
      ctx_->blobs->Delete(key);
      return ErrorResponse(s, req_.correlation_id);
    }
    s = ctx_->store->CompleteUpload(grant_.job_id, key, ctx_->clock->NowMillis());
    if (!s.ok()) {
      // A concurrent PUT of the same verified bytes may have won; the blob is then theirs.
      if (s.kind() != Kind::kConflict) ctx_->blobs->Delete(key);
      return ErrorResponse(s, req_.correlation_id);
    }
    // Read the view before waking workers, so the answer shows the job as this upload left it.
    auto updated = ctx_->store->GetJobUnscoped(grant_.job_id);
    ctx_->NotifyQueued();
    if (!updated.ok()) return ErrorResponse(updated.status(), req_.correlation_id);
    log::Info("upload completed", {{"correlation_id", updated->correlation_id},
                                   {"job_id", updated->id},
                                   {"request_correlation_id", req_.correlation_id},
                                   {"bytes", sink_.size()}});
    return JsonResponse(200, JobJson(*updated));
  }

 private:
  Status Verify() {
    if (Status s = sink_.Close(); !s.ok()) {
      return s.code() == "EMPTY_FILE" ? SizeMismatch(grant_.size_bytes) : s;
    }
    if (sink_.size() != grant_.size_bytes) return SizeMismatch(grant_.size_bytes);
    if (sink_.sha256() != grant_.sha256) {
      return Status::Error(Kind::kUnprocessable, "SHA256_MISMATCH",
                           "the body's SHA-256 does not match the declared sha256");
    }
    return Status();
  }

  ApiContext* ctx_;
  ApiRequest req_;
  UploadGrant grant_;
  UploadSink sink_;
};

// POST /api/v1/documents: one multipart field `file`, streamed to disk while hashed.
class MultipartUploadExchange final : public Exchange {
 public:
  MultipartUploadExchange(ApiContext* ctx, ApiRequest req, const std::string& boundary)
      : ctx_(ctx),
        req_(std::move(req)),
        parser_(boundary, {[this](const PartHeaders& h) { return BeginPart(h); },
                           [this](std::string_view d) { return PartData(d); },
                           [this] { return EndPart(); }}) {}

  Status OnBody(std::string_view data) override { return parser_.Feed(data); }

  ApiResponse Finish() override {
    auto result = Store();
    if (!result.ok()) return ErrorResponse(result.status(), req_.correlation_id);
    LogUpload(result->duplicate ? "upload deduplicated" : "upload accepted", *result);
    json body = JobJson(result->job);
    body["duplicate"] = result->duplicate;
    return JsonResponse(result->duplicate ? 200 : 202, body);
  }

 private:
  Status BeginPart(const PartHeaders& h) {
    part_name_ = h.name;
    if (h.name == "processing_priority") priority_text_.emplace();
    if (h.name == "callback_url") callback_url_.emplace();
    if (h.name == "embed_via") embed_via_.emplace();
    if (h.name != "file") return Status();
    if (sink_) return Status::InvalidArgument("INVALID_MULTIPART", "more than one file field");
    document_id_ = NewUuidV4();
    auto writer = ctx_->blobs->NewWriter(DocumentBlobKey(document_id_));
    if (!writer.ok()) return writer.status();
    filename_ = h.filename.value_or("");
    sink_.emplace(
        std::move(writer.value()), ctx_->options.max_upload_bytes,
        CheckUploadSize(ctx_->options.max_upload_bytes + 1, ctx_->options.max_upload_bytes));
    in_file_ = true;
    return Status();
  }

  Status PartData(std::string_view data) {
    if (in_file_) return sink_->Append(data);
    other_bytes_ += data.size();
    if (other_bytes_ > ctx_->options.max_json_body) {
      return Status::Error(Kind::kPayloadTooLarge, "REQUEST_TOO_LARGE",
                           "form fields other than 'file' are too large");
    }
    if (part_name_ == "processing_priority") priority_text_->append(data);
    if (part_name_ == "callback_url") callback_url_->append(data);
    if (part_name_ == "embed_via") embed_via_->append(data);
    return Status();
  }

  Status EndPart() {
    in_file_ = false;
    return Status();
  }

  // The form field processing_priority, else the query parameter, else 0.
  Result<int> Priority() const {
    if (priority_text_) return ParsePriority(*priority_text_);
    auto it = req_.query.find("processing_priority");
    return it == req_.query.end() ? Result<int>(0) : ParsePriority(it->second);
  }

  // The form field callback_url, else the query parameter; nullopt when neither is there.
  std::optional<std::string> CallbackUrl() const {
    if (callback_url_) return callback_url_;
    auto it = req_.query.find("callback_url");
    if (it == req_.query.end()) return std::nullopt;
    return it->second;
  }

  // The form field embed_via, else the query parameter; nullopt when neither is there.
  std::optional<std::string> EmbedVia() const {
    if (embed_via_) return embed_via_;
    auto it = req_.query.find("embed_via");
    if (it == req_.query.end()) return std::nullopt;
    return it->second;
  }

  Result<CreateUploadResult> Store() {
    if (Status s = parser_.Finish(); !s.ok()) return s;
    if (!sink_) return Status::InvalidArgument("MISSING_FILE", "the form has no 'file' field");
    if (Status s = sink_->Close(); !s.ok()) return s;
    auto filename = SanitizeFilename(filename_);
    if (!filename.ok()) return filename.status();
    auto priority = Priority();
    if (!priority.ok()) return priority.status();
    auto [doc, job] = NewRecords(*ctx_, req_, std::move(filename.value()), sink_->size(),
                                 sink_->sha256(), JobStatus::kUploaded);
    doc.id = document_id_;
    doc.blob_key = DocumentBlobKey(doc.id);
    job.document_id = doc.id;
    job.processing_priority = *priority;
    if (auto url = CallbackUrl()) {
      if (Status s = SetCallbackUrl(*ctx_, *url, &job); !s.ok()) return s;
    }
    // The bytes are durable before any row points at them.
    if (Status s = sink_->Commit(); !s.ok()) return s;
    auto pages = CountUploadPages(*ctx_, doc.blob_key);
    if (!pages.ok()) {
      ctx_->blobs->Delete(doc.blob_key);
      return pages.status();
    }
    doc.page_count = *pages;
    Status checked =
        Preflight(*ctx_, doc.size_bytes, PagesForEstimate(*ctx_, doc.blob_key, *pages), &job);
    if (checked.ok()) checked = SetEmbedVia(EmbedVia(), &job);
    if (!checked.ok()) {
      ctx_->blobs->Delete(doc.blob_key);
      return checked;
    }
    int64_t now = ctx_->clock->NowMillis();
    auto result = CreateLimitedUpload(*ctx_, doc, job, now);
    if (!result.ok()) {
      ctx_->blobs->Delete(doc.blob_key);
      return result;
    }
    if (result->duplicate && result->job.status == JobStatus::kAwaitingUpload) {
      // The same bytes were declared by a two-step upload that never sent them: these
      // verified bytes complete it.
      if (Status s = ctx_->store->CompleteUpload(result->job.id, doc.blob_key, now); !s.ok()) {
        ctx_->blobs->Delete(doc.blob_key);
        return s;
      }
      auto job_now = ctx_->store->GetJobUnscoped(result->job.id);
      if (!job_now.ok()) return job_now.status();
      result->job = std::move(job_now.value());
    } else if (result->duplicate) {
      ctx_->blobs->Delete(doc.blob_key);
      return result;
    }
    ctx_->NotifyQueued();
    return result;
  }

  ApiContext* ctx_;
  ApiRequest req_;
  MultipartParser parser_;
  std::optional<UploadSink> sink_;
  std::string document_id_;
  std::string filename_;
  std::string part_name_;  // of the part being read
  std::optional<std::string> priority_text_;
  std::optional<std::string> callback_url_;
  std::optional<std::string> embed_via_;
  bool in_file_ = false;
  size_t other_bytes_ = 0;
};

}  // namespace

ApiResponse HandleCreateUpload(ApiContext& ctx, const ApiRequest& req) {
  const std::string& cid = req.correlation_id;
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ErrorResponse(
        Status::InvalidArgument("INVALID_JSON", "body must be a JSON object in valid UTF-8"), cid);
  }
  std::string filename_raw, mime, sha_raw, sha;
  int64_t bytes_len = 0;
  Status s = Field(body, "filename", &filename_raw);
  if (s.ok()) s = Field(body, "bytes_len", &bytes_len);
  if (s.ok()) s = Field(body, "mime", &mime);
  if (s.ok()) s = Field(body, "sha256", &sha_raw);
  // Optional fields: absent or null is the default.
  if (s.ok() && body.contains("ocr") && !body["ocr"].is_null() && !body["ocr"].is_boolean()) {
    s = WrongType("ocr", "a boolean");
  }
  int64_t priority = 0;
  if (s.ok() && body.contains("processing_priority") && !body["processing_priority"].is_null()) {
    s = Field(body, "processing_priority", &priority);
    if (s.ok()) s = CheckPriority(priority);
  }
  std::string callback_url;
  const bool has_callback = body.contains("callback_url") && !body["callback_url"].is_null();
  if (s.ok() && has_callback) s = Field(body, "callback_url", &callback_url);
  std::optional<std::string> embed_via;
  if (s.ok() && body.contains("embed_via") && !body["embed_via"].is_null()) {
    embed_via.emplace();
    s = Field(body, "embed_via", &*embed_via);
  }
  Result<std::string> filename = SanitizeFilename(filename_raw);
  if (s.ok() && !filename.ok()) s = filename.status();
  if (s.ok()) s = CheckUploadSize(bytes_len, ctx.options.max_upload_bytes);
  if (s.ok()) s = CheckMime(mime);
  if (s.ok()) s = CheckSha256(sha_raw, &sha);
  if (!s.ok()) return ErrorResponse(s, cid);

  auto [doc, job] =
      NewRecords(ctx, req, std::move(filename.value()), bytes_len, sha, JobStatus::kAwaitingUpload);
  job.processing_priority = static_cast<int>(priority);
  if (has_callback) {
    if (s = SetCallbackUrl(ctx, callback_url, &job); !s.ok()) return ErrorResponse(s, cid);
  }
  // Pages are unknown until the bytes arrive: the estimate goes by the declared size.
  if (s = Preflight(ctx, bytes_len, -1, &job); !s.ok()) return ErrorResponse(s, cid);
  if (s = SetEmbedVia(embed_via, &job); !s.ok()) return ErrorResponse(s, cid);
  auto result = CreateLimitedUpload(ctx, doc, job, ctx.clock->NowMillis());
  if (!result.ok()) return ErrorResponse(result.status(), cid);
  LogUpload(result->duplicate ? "upload deduplicated" : "upload declared", *result);

  int64_t expires_at_s = ctx.clock->NowMillis() / 1000 + ctx.options.upload_url_ttl_s;
  json signed_url = nullptr;
  if (result->job.status == JobStatus::kAwaitingUpload) {
    UploadGrant grant{result->job.id, result->document.id, result->document.size_bytes,
                      result->document.sha256, expires_at_s};
    signed_url = ctx.options.public_url + "/api/v1/blobs/" +
                 SignUploadToken(grant, ctx.options.upload_secret);
  }
  return JsonResponse(
      200, {{"job_id", result->job.id},
            {"document_id", result->document.id},
            {"signed_url", signed_url},
            {"upload_expires_at",
             signed_url.is_null() ? json(nullptr) : json(FormatRfc3339(expires_at_s * 1000))},
            {"correlation_id", result->job.correlation_id},
            {"duplicate", result->duplicate}});
}

Result<std::unique_ptr<Exchange>> BeginBlobPut(ApiContext& ctx, ApiRequest&& req) {
  auto grant = VerifyUploadToken(req.params["token"], ctx.options.upload_secret,
                                 ctx.clock->NowMillis() / 1000);
  if (!grant.ok()) return grant.status();
  std::string length = req.Header("content-length");
  if (!length.empty() && length != std::to_string(grant->size_bytes)) {
    return SizeMismatch(grant->size_bytes);
  }
  auto writer = ctx.blobs->NewWriter(DocumentBlobKey(grant->document_id));
  if (!writer.ok()) return writer.status();
  return std::unique_ptr<Exchange>(std::make_unique<BlobPutExchange>(
      &ctx, std::move(req), std::move(grant.value()), std::move(writer.value())));
}

Result<std::unique_ptr<Exchange>> BeginDocumentPost(ApiContext& ctx, ApiRequest&& req) {
  auto boundary = MultipartParser::BoundaryOf(req.Header("content-type"));
  if (!boundary) {
    return Status::InvalidArgument("INVALID_MULTIPART",
                                   "Content-Type must be multipart/form-data with a boundary");
  }
  // Reject an announced oversize body before reading it (64 KiB allows for the envelope).
  std::string length = req.Header("content-length");
  if (!length.empty()) {
    int64_t n = std::strtoll(length.c_str(), nullptr, 10);
    if (n > ctx.options.max_upload_bytes + 64 * 1024) {
      return CheckUploadSize(n, ctx.options.max_upload_bytes);
    }
  }
  return std::unique_ptr<Exchange>(
      std::make_unique<MultipartUploadExchange>(&ctx, std::move(req), *boundary));
}

}  // namespace ingestd::api
