// `ingestd jobs [--state S] [--status S] [--limit N] [--watch] [--server URL] [--token T]`:
// the caller's jobs as a table (GET /api/v1/jobs, filenames from GET /api/v1/documents),
// newest first. --watch polls until SIGINT/SIGTERM: on a terminal the table is redrawn in
// place; off one, a line is printed for each job that appeared or changed.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/process_setup.h"
#include "cli/text_table.h"
#include "core/clock.h"
#include "core/json_read.h"
#include "services/http/curl_http_client.h"

namespace ingestd::cli {
namespace {

using nlohmann::json;

constexpr char kJobsUsage[] =
    "usage: ingestd jobs [--state S] [--status S] [--limit N] [--watch] [--server URL] "
    "[--token T]\n";
constexpr int kDocumentNames = 500;  // GET /api/v1/documents' page limit
constexpr timespec kWatchEvery = {1, 0};

struct JobsOptions {
  std::string state, status, server, token;
  int limit = 50;
  bool watch = false;
};

const TableRow kJobsHeader = {"JOB",      "FILE",    "STATE",      "STATUS",
                              "PROGRESS", "RETRIES", "LAST ERROR", "UPDATED"};

// One table row per job, by job id (in the server's order in `order`).
struct JobRows {
  std::vector<std::string> order;
  std::map<std::string, TableRow> rows;
};

std::string Text(const json& j, const char* key) { return json_read::String(j, key).value_or(""); }

Result<JobRows> FetchJobRows(http::HttpClient& client, const ApiTarget& target,
                             const JobsOptions& o) {
  std::string path = "/api/v1/jobs?limit=" + std::to_string(o.limit);
  if (!o.state.empty()) path += "&state=" + o.state;
  if (!o.status.empty()) path += "&status=" + o.status;
  auto jobs = GetApiJson(client, target, path);
  if (!jobs.ok()) return jobs.status();
  // Filenames are a nicety: a job whose document is not on the page shows its id.
  std::map<std::string, std::string> names;
  auto docs =
      GetApiJson(client, target, "/api/v1/documents?limit=" + std::to_string(kDocumentNames));
  if (docs.ok()) {
    for (const json& d : docs->value("documents", json::array())) {
      names[Text(d, "document_id")] = Text(d, "filename");
    }
  }
  JobRows out;
  for (const json& j : jobs->value("jobs", json::array())) {
    const std::string id = Text(j, "job_id");
    const std::string document = Text(j, "document_id");
    const json* error = json_read::Find(j, "last_error");
    const json* progress = json_read::Find(j, "progress");
    out.order.push_back(id);
    out.rows[id] = {
        id,
        names.contains(document) ? names[document] : document,
        Text(j, "state"),
        Text(j, "status"),
        std::to_string(progress ? json_read::Int(*progress, "total_pct").value_or(0) : 0) + "%",
        std::to_string(json_read::Int(j, "retry_count").value_or(0)),
        error && error->is_object() ? Text(*error, "code") : "",
        Text(j, "updated_at")};
  }
  return out;
}

std::string Table(const JobRows& jobs) {
  if (jobs.order.empty()) return "no jobs\n";
  std::vector<TableRow> rows = {kJobsHeader};
  for (const std::string& id : jobs.order) rows.push_back(jobs.rows.at(id));
  return FormatTable(rows);
}

std::string Joined(const TableRow& row) {
  std::string out;
  for (const std::string& cell : row)
    out += (out.empty() ? "" : "  ") + (cell.empty() ? "-" : cell);
  return out;
}

int Watch(http::HttpClient& client, const ApiTarget& target, const JobsOptions& o) {
  const sigset_t stop = BlockStopSignals();
  const bool tty = isatty(STDOUT_FILENO);
  JobRows shown;
  bool first = true;
  std::string last_error;
  for (;;) {
    auto jobs = FetchJobRows(client, target, o);
    if (!jobs.ok()) {
      // The server may be restarting: say so once, keep polling.
      if (jobs.status().message() != last_error) {
        last_error = jobs.status().message();
        std::fprintf(stderr, "ingestd jobs: %s\n", last_error.c_str());
      }
    } else if (tty) {
      last_error.clear();
      // Home, clear the screen, redraw.
      std::printf("\033[H\033[2J%s · %s · Ctrl-C to stop\n\n%s", target.server.c_str(),
                  FormatRfc3339(SystemClock::Default()->NowMillis()).c_str(), Table(*jobs).c_str());
    } else {
      last_error.clear();
      if (first) {
        std::fputs(Table(*jobs).c_str(), stdout);
      } else {
        // Oldest first, as they happened.
        for (auto it = jobs->order.rbegin(); it != jobs->order.rend(); ++it) {
          const TableRow& row = jobs->rows.at(*it);
          auto before = shown.rows.find(*it);
          if (before == shown.rows.end() || before->second != row) {
            std::printf("%s\n", Joined(row).c_str());
          }
        }
      }
      shown = std::move(*jobs);
      first = false;
    }
    std::fflush(stdout);
    const int sig = sigtimedwait(&stop, nullptr, &kWatchEvery);
    if (sig == SIGINT || sig == SIGTERM) break;
  }
  if (tty) std::printf("\n");
  return 0;
}

// A state or status name: put into the query as is.
bool IsName(const std::string& v) {
  return !v.empty() &&
         std::all_of(v.begin(), v.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

bool ParseJobsArgs(const Args& args, JobsOptions* o) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--watch") {
      o->watch = true;
      continue;
    }
    if (i + 1 >= args.size()) return false;
    const std::string& v = args[++i];
    if (a == "--state" || a == "--status") {
      if (!IsName(v)) return false;
      (a == "--state" ? o->state : o->status) = v;
    } else if (a == "--server") {
      o->server = v;
    } else if (a == "--token") {
      o->token = v;
    } else if (a == "--limit") {
      o->limit = std::atoi(v.c_str());
      if (o->limit < 1 || o->limit > 500) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int RunJobs(const Args& args) {
  JobsOptions options;
  if (!ParseJobsArgs(args, &options)) {
    std::fputs(kJobsUsage, stderr);
    return 2;
  }
  auto target = ResolveApiTarget(options.server, options.token);
  if (!target.ok()) return FailStart("jobs", target.status());
  http::CurlHttpClient client;
  if (options.watch) return Watch(client, *target, options);
  auto jobs = FetchJobRows(client, *target, options);
  if (!jobs.ok()) {
    std::fprintf(stderr, "ingestd jobs: %s\n", jobs.status().message().c_str());
    return 1;
  }
  std::fputs(Table(*jobs).c_str(), stdout);
  return 0;
}

}  // namespace ingestd::cli
