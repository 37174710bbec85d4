// Structured logging: one JSON object per line on stderr, e.g.
//   {"ts":"…","level":"info","msg":"stage done","correlation_id":"…","job_id":"…","stage":"parse"}
// Callers pass the correlation id and job id as fields; secrets must never be passed. A line
// written while a span is current on the thread (trace.h) also carries its trace_id and
// span_id.
// Thread-safe: each line is written with a single write(2).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace ingestd::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void SetMinLevel(Level level);
// Redirects output to fd (tests); the default is 2 (stderr).
void SetFd(int fd);
void Write(Level level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());

inline void Debug(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kDebug, m, f);
}
inline void Info(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kInfo, m, f);
}
inline void Warn(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kWarn, m, f);
}
inline void Error(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kError, m, f);
}

}  // namespace ingestd::log
