// `ingestd job ID [--server URL] [--token T]`: one job's timeline as text, from GET
// /api/v1/jobs/{id}, its /events and its document: state and progress, the last error, each
// stage with its start, duration, route (mode · implementation), reason and fallbacks, cost
// estimated vs actual, the embedding cache's share, and the events in order.
#include <cstdio>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/process_setup.h"
#include "cli/text_table.h"
#include "core/json_read.h"
#include "services/http/curl_http_client.h"

namespace ingestd::cli {
namespace {

using nlohmann::json;

constexpr char kJobUsage[] = "usage: ingestd job ID [--server URL] [--token T]\n";
// The pipeline's stages in the order they run; a stage the server adds later is listed after.
constexpr const char* kStageOrder[] = {"parse", "validate", "chunk", "embed", "finalize"};

std::string Str(const json& j, const char* key) { return json_read::String(j, key).value_or(""); }
std::string Num(const json& j, const char* key) {
  auto v = json_read::Int(j, key);
  return v ? std::to_string(*v) : "";
}
const json& Obj(const json& j, const char* key) {
  static const json kEmpty = json::object();
  const json* v = json_read::Find(j, key);
  return v && v->is_object() ? *v : kEmpty;
}

// Nano-dollars as dollars; blank when the job has no such figure.
std::string Usd(const json& costs, const char* key) {
  auto nanos = json_read::Int(costs, key);
  if (!nanos) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.6f", static_cast<double>(*nanos) / 1e9);
  return buf;
}

std::vector<std::string> Stages(const json& timings, const json& routes) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const char* s : kStageOrder) {
    if (timings.contains(s) || routes.contains(s)) {
      out.push_back(s);
      seen.insert(s);
    }
  }
  for (const json* group : {&timings, &routes}) {
    for (const auto& [name, value] : group->items()) {
      if (seen.insert(name).second) out.push_back(name);
    }
  }
  return out;
}

std::string Timeline(const json& job, const std::string& filename, const json& events) {
  std::string out = "job " + Str(job, "job_id") + "\n";
  std::vector<TableRow> facts = {
      {"file", filename + " (document " + Str(job, "document_id") + ")"},
      {"state", Str(job, "state") + " · " + Str(job, "status") + " · " +
                    Num(Obj(job, "progress"), "total_pct") + "%"},
      {"retries", Num(job, "retry_count")},
      {"priority", Num(job, "processing_priority")},
      {"mode", Str(job, "service_mode")},
      {"fallback", json_read::Bool(job, "fallback_triggered").value_or(false) ? "yes" : "no"},
      {"correlation", Str(job, "correlation_id")},
      {"created", Str(job, "created_at")},
      {"updated", Str(job, "updated_at")}};
  if (auto at = json_read::String(job, "retry_at")) facts.push_back({"retry at", *at});
  if (const json& error = Obj(job, "last_error"); !error.empty()) {
    facts.push_back({"error", Str(error, "code") + ": " + Str(error, "message") + " (stage " +
                                  Str(error, "stage") + ", " + Str(error, "at") + ")"});
  }
  out += FormatTable(facts);

  const json& timings = Obj(job, "timings");
  const json& routes = Obj(job, "stage_routes");
  std::vector<TableRow> stages = {{"STAGE", "STARTED", "MS", "ROUTE", "REASON", "FALLBACKS"}};
  for (const std::string& name : Stages(timings, routes)) {
    const json& t = Obj(timings, name.c_str());
    const json& r = Obj(routes, name.c_str());
    std::string route, fallbacks;
    if (!r.empty()) {
      route = Str(r, "mode") + " · " + Str(r, "implementation");
      fallbacks = Num(r, "fallback_calls") + " of " + Num(r, "calls");
      if (auto why = json_read::String(r, "fallback_reason"); why && !why->empty()) {
        fallbacks += " (" + *why + ")";
      }
    }
    stages.push_back(
        {name, Str(t, "started_at"), Num(t, "ms"), route, Str(r, "reason"), fallbacks});
  }
  out += "\nstages\n" + (stages.size() > 1 ? FormatTable(stages) : "no stage has started\n");

  const json& estimate = Obj(job, "cost_estimate");
  const json& actual = Obj(job, "actual_cost");
  std::vector<TableRow> costs = {{"COST", "ESTIMATED", "ACTUAL"}};
  for (const char* part : {"parse", "embed", "total"}) {
    const std::string key = std::string(part) + "_nanos";
    costs.push_back({part, Usd(estimate, key.c_str()), Usd(actual, key.c_str())});
  }
  out += "\n" + FormatTable(costs);
  if (const json& embed = Obj(job, "embed"); !embed.empty()) {
    out += "embedding cache: " + Num(embed, "chunks_cached") + " of " + Num(embed, "chunks") +
           " chunks, " + Num(embed, "tokens_cached") + " tokens free, " +
           Num(embed, "tokens_paid") + " paid, saved " + Usd(embed, "saved_nanos") + "\n";
  }

  std::vector<TableRow> rows = {{"AT", "CODE", "TYPE", "STAGE", "DETAILS"}};
  for (const json& e : events) {
    const json& payload = Obj(e, "payload");
    rows.push_back({Str(e, "at"), Str(e, "code"), Str(e, "type"), Str(e, "stage"),
                    payload.empty() ? "" : payload.dump()});
  }
  out += "\nevents\n" + (rows.size() > 1 ? FormatTable(rows) : "none\n");
  return out;
}

}  // namespace

int RunJob(const Args& args) {
  std::string id, server, token;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--server" || a == "--token") && i + 1 < args.size()) {
      (a == "--server" ? server : token) = args[++i];
    } else if (id.empty() && !a.empty() && !a.starts_with("--") &&
               a.find_first_of("/?#%") == std::string::npos) {
      id = a;
    } else {
      std::fputs(kJobUsage, stderr);
      return 2;
    }
  }
  if (id.empty()) {
    std::fputs(kJobUsage, stderr);
    return 2;
  }
  auto target = ResolveApiTarget(server, token);
  if (!target.ok()) return FailStart("job", target.status());
  http::CurlHttpClient client;
  auto job = GetApiJson(client, *target, "/api/v1/jobs/" + id);
  Result<json> events = job.ok() ? GetApiJson(client, *target, "/api/v1/jobs/" + id + "/events")
                                 : Result<json>(job.status());
  if (!events.ok()) {
    std::fprintf(stderr, "ingestd job: %s\n", events.status().message().c_str());
    return 1;
  }
  // The filename is a nicety: the document may be gone (deleted) while its job is read.
  auto document = GetApiJson(client, *target, "/api/v1/documents/" + Str(*job, "document_id"));
  const std::string filename = document.ok() ? Str(*document, "filename") : "-";
  std::fputs(Timeline(*job, filename, events->value("events", json::array())).c_str(), stdout);
  return 0;
}

}  // namespace ingestd::cli
