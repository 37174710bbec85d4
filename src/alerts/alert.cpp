#include "alerts/alert.h"

#include <algorithm>
#include <cctype>

#include "core/clock.h"

namespace ingestd {

nlohmann::json AlertJson(const Alert& a) {
  return {{"id", a.id},
          {"kind", a.kind},
          {"scope", a.scope},
          {"metric", a.metric},
          {"value", a.value},
          {"threshold", a.threshold},
          {"severity", a.severity},
          {"message", a.message},
          {"job_id", a.job_id},
          {"correlation_id", a.correlation_id},
          {"at", FormatRfc3339(a.at_ms)},
          {"details", a.details}};
}

std::string AlertEventCode(const Alert& a) {
  if (a.kind.starts_with("budget_")) return "BUDGET_ALERT";
  std::string code = a.kind;
  std::transform(code.begin(), code.end(), code.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return code;
}

std::string SlackText(const Alert& a) {
  const char* icon = a.severity == "critical" ? ":rotating_light:"
                     : a.severity == "info"   ? ":white_check_mark:"
                                              : ":warning:";
  std::string text =
      std::string(icon) + " [ingestd] " + a.message + " (" + a.kind + ", scope " + a.scope + ")";
  if (!a.correlation_id.empty()) text += " correlation_id=" + a.correlation_id;
  return text;
}

}  // namespace ingestd
