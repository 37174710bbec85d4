#include "store/record_codec.h"

namespace ingestd::record {

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
  e.code = j.value("code", "");
  e.message = j.value("message", "");
  e.stage = j.value("stage", "");
  e.at_ms = j.value("at", int64_t{0});
  return e;
}

}  // namespace ingestd::record
