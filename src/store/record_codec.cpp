#include "store/record_codec.h"

#include "core/json_read.h"
#include "store/store_codes.h"

namespace ingestd::record {

Status PrepareUpload(const Document& doc_in, const Job& job_in, int64_t now_ms, Document* doc,
                     Job* job) {
  if (doc_in.id.empty() || doc_in.user_id.empty() || doc_in.sha256.empty() || job_in.id.empty()) {
    return store_codes::InvalidRecord("document id, user_id, sha256 and job id are required");
  }
  *doc = doc_in;
  doc->created_at_ms = now_ms;
  *job = job_in;
  job->document_id = doc->id;
  job->user_id = doc->user_id;
  job->claimed_by.clear();
  job->lease_expires_at_ms = 0;
  job->created_at_ms = job->updated_at_ms = now_ms;
  return Status();
}

Status CorruptRow(std::string_view what) {
  return Status::Internal("DB_CORRUPT_ROW",
                          std::string("stored value is malformed: ") + std::string(what));
}

std::string DumpJson(const nlohmann::json& j) {
  // Replace invalid UTF-8 (provider messages, filenames) instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<nlohmann::json> ParseJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string LastErrorToJson(const LastError& e) {
  return DumpJson({{"code", e.code}, {"message", e.message}, {"stage", e.stage}, {"at", e.at_ms}});
}

std::optional<LastError> LastErrorFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  LastError e;
  e.code = json_read::String(j, "code").value_or("");
  e.message = json_read::String(j, "message").value_or("");
  e.stage = json_read::String(j, "stage").value_or("");
  e.at_ms = json_read::Int(j, "at").value_or(0);
  return e;
}

std::vector<VectorRecord> NewestPerHash(std::vector<VectorRecord> rows) {
  std::vector<VectorRecord> out;
  for (VectorRecord& v : rows) {
    if (out.empty() || out.back().text_sha256 != v.text_sha256) out.push_back(std::move(v));
  }
  return out;
}

}  // namespace ingestd::record
