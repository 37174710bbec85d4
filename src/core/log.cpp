#include "core/log.h"

#include <unistd.h>

#include <atomic>

#include "core/clock.h"
#include "core/trace.h"

namespace ingestd::log {
namespace {

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_fd{2};

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

void SetMinLevel(Level level) { g_min_level = static_cast<int>(level); }
void SetFd(int fd) { g_fd = fd; }

void Write(Level level, std::string_view msg, const nlohmann::json& fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  nlohmann::json line = {{"ts", FormatRfc3339(SystemClock::Default()->NowMillis())},
                         {"level", LevelName(level)},
                         {"msg", msg}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  // A line written inside a span names it, unless the caller named one itself.
  if (const trace::SpanContext* span = trace::CurrentContext();
      span && !line.contains("trace_id")) {
    line["trace_id"] = span->trace_id;
    line["span_id"] = span->span_id;
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  ssize_t ignored = ::write(g_fd.load(), text.data(), text.size());
  (void)ignored;
}

}  // namespace ingestd::log
