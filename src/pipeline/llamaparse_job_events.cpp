#include "pipeline/llamaparse_job_events.h"

#include "core/json_read.h"
#include "services/llamaparse_webhook.h"

namespace ingestd {
namespace {

constexpr char kSubmitted[] = "PARSE_SUBMITTED";
constexpr const char* kClosed = kParseSubmissionClosedCode;

}  // namespace

Status EventJobRecorder::Append(const CallContext& ctx, const char* code, const std::string& id) {
  Event e;
  e.job_id = ctx.job_id;
  e.correlation_id = ctx.correlation_id;
  e.type = "provider";
  e.code = code;
  e.stage = "parse";
  e.payload = {{"provider", "llamaparse"}, {"provider_job_id", id}};
  e.at_ms = clock_->NowMillis();
  return store_->AppendEvent(e);
}

Result<std::optional<std::string>> EventJobRecorder::Find(const CallContext& ctx) {
  auto events = store_->ListEvents(ctx.user_id, ctx.job_id);
  if (!events.ok()) return events.status();
  std::optional<std::string> open;
  for (const Event& e : *events) {  // id order: the last word wins
    if (e.code == kSubmitted) open = json_read::String(e.payload, "provider_job_id").value_or("");
    if (e.code == kClosed) open.reset();
  }
  if (open && open->empty()) open.reset();
  return open;
}

Result<int64_t> EventJobRecorder::RecordedAtMs(const CallContext& ctx) {
  auto events = store_->ListEvents(ctx.user_id, ctx.job_id);
  if (!events.ok()) return events.status();
  int64_t at = 0;
  for (const Event& e : *events) {
    if (e.code == kSubmitted) at = e.at_ms;
    if (e.code == kClosed) at = 0;
  }
  return at;
}

Status EventJobRecorder::Record(const CallContext& ctx, const std::string& provider_job_id) {
  return Append(ctx, kSubmitted, provider_job_id);
}

Status EventJobRecorder::Close(const CallContext& ctx, const std::string& provider_job_id) {
  return Append(ctx, kClosed, provider_job_id);
}

Result<int> EventJobRecorder::CountNotices(const CallContext& ctx) {
  auto events = store_->ListEvents(ctx.user_id, ctx.job_id);
  if (!events.ok()) return events.status();
  int n = 0;
  for (const Event& e : *events) n += e.code == llamaparse::kWebhookEventCode;
  return n;
}

}  // namespace ingestd
