#include "core/last_resort.h"

#include <exception>

#include "core/log.h"

namespace ingestd {

std::string CurrentExceptionText() noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    try {
      return e.what();
    } catch (...) {  // no memory for the copy
    }
  } catch (...) {
  }
  return "unknown exception";
}

void LogEscaped(std::string_view where, const std::string& error,
                const nlohmann::json& fields) noexcept {
  try {
    nlohmann::json line = fields.is_object() ? fields : nlohmann::json::object();
    line["where"] = std::string(where);
    line["error"] = error;
    log::Error("last-resort catch", line);
  } catch (...) {  // nothing more can be done without throwing again
  }
}

}  // namespace ingestd
