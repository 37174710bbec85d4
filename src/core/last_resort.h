// The last-resort catch of a thread's loop body and of request handling: an exception that
// escapes there would end the thread and, uncaught, the process (std::terminate). RunGuarded
// runs one step, logs anything that escapes it as one JSON error line, and hands its text
// back so the caller can go on (next loop round, a 500, a retryable failure).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ingestd {

// The text of the exception being handled: what() of a std::exception, else "unknown
// exception". Call only inside a catch block.
std::string CurrentExceptionText() noexcept;

// Writes {"level":"error","msg":"last-resort catch","where":where,"error":error, ...fields}.
// Never throws (a log line that cannot be built is dropped).
void LogEscaped(std::string_view where, const std::string& error,
                const nlohmann::json& fields) noexcept;

// Runs body(). nullopt when it returned; the logged exception text when one escaped it.
// `where` names the thread or step ("audit writer", "health prober", …) in the log line.
template <typename F>
std::optional<std::string> RunGuarded(std::string_view where, F&& body,
                                      const nlohmann::json& fields = nlohmann::json::object()) {
  std::string error;
  try {
    body();
    return std::nullopt;
  } catch (...) {
    error = CurrentExceptionText();  // copied: the exception is gone after its catch block
  }
  LogEscaped(where, error, fields);
  return error;
}

}  // namespace ingestd
