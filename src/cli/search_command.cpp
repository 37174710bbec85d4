// `ingestd search "QUERY" [--top-k N] [--mode hybrid|vector|keyword] [--server URL]
// [--token T]`: POST /api/v1/search on a running server, results printed for a reader (rank,
// score, file, pages, heading, the start of the text). The server defaults to
// http://127.0.0.1:<INGESTD_PORT>, the token to INGESTD_TOKEN (`ingestd token` makes one).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/process_setup.h"
#include "core/json_read.h"
#include "services/http/curl_http_client.h"

namespace ingestd::cli {
namespace {

using nlohmann::json;

constexpr size_t kShownTextBytes = 240;
constexpr char kSearchUsage[] =
    "usage: ingestd search QUERY [--top-k N] [--mode hybrid|vector|keyword] [--server URL] "
    "[--token T]\n";

// The first bytes of text on one line (whitespace runs made one space), cut at a UTF-8
// character boundary.
std::string OneLineExcerpt(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
    if (out.size() >= kShownTextBytes) break;
  }
  if (out.size() >= kShownTextBytes) {
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
    out += "…";
  }
  return out;
}

std::string JsonText(const json& j, const char* key) {
  return json_read::String(j, key).value_or("");
}

std::string PageSpan(const json& hit) {
  const auto start = json_read::Int(hit, "page_start"), end = json_read::Int(hit, "page_end");
  if (!start) return "";
  if (!end || *end == *start) return "p. " + std::to_string(*start);
  return "pp. " + std::to_string(*start) + "-" + std::to_string(*end);
}

void PrintResults(const json& answer) {
  const json results = answer.value("results", json::array());
  std::printf("%zu result%s · mode %s · model %s · %lld ms", results.size(),
              results.size() == 1 ? "" : "s", JsonText(answer, "mode").c_str(),
              json_read::String(answer, "model").value_or("-").c_str(),
              static_cast<long long>(json_read::Int(answer, "took_ms").value_or(0)));
  const int64_t pending = json_read::Int(answer, "vector_pending_documents").value_or(0);
  if (pending > 0) {
    std::printf(" · %lld document%s without vectors of this model (keyword only)",
                static_cast<long long>(pending), pending == 1 ? "" : "s");
  }
  std::printf("\n");
  int rank = 0;
  for (const json& hit : results) {
    std::string where = JsonText(hit, "filename");
    if (const std::string pages = PageSpan(hit); !pages.empty()) where += " " + pages;
    if (const std::string heading = JsonText(hit, "heading_path"); !heading.empty()) {
      where += " · " + heading;
    }
    std::printf("\n%2d. %.4f  %s\n    %s\n", ++rank, json_read::Number(hit, "score").value_or(0),
                where.c_str(), OneLineExcerpt(JsonText(hit, "text")).c_str());
  }
}

}  // namespace

int RunSearch(const Args& args) {
  std::string query, server, token, mode;
  int64_t top_k = 0;
  bool have_query = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--top-k" || a == "--mode" || a == "--server" || a == "--token") {
      if (i + 1 >= args.size()) {
        std::fputs(kSearchUsage, stderr);
        return 2;
      }
      const std::string& v = args[++i];
      if (a == "--top-k") {
        top_k = std::atoll(v.c_str());
        if (top_k <= 0) {
          std::fprintf(stderr, "ingestd search: --top-k must be a positive integer\n");
          return 2;
        }
      } else {
        (a == "--mode" ? mode : a == "--server" ? server : token) = v;
      }
    } else if (!have_query && !a.starts_with("--")) {
      query = a;
      have_query = true;
    } else {
      std::fputs(kSearchUsage, stderr);
      return 2;
    }
  }
  if (!have_query) {
    std::fputs(kSearchUsage, stderr);
    return 2;
  }
  auto target = ResolveApiTarget(server, token);
  if (!target.ok()) return FailStart("search", target.status());
  json body = {{"query", query}};
  if (top_k > 0) body["top_k"] = top_k;
  if (!mode.empty()) body["mode"] = mode;
  http::HttpRequest request;
  request.method = "POST";
  request.url = "/api/v1/search";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = body.dump();
  http::CurlHttpClient client;
  auto reply = CallApi(client, *target, std::move(request));
  if (!reply.ok()) {
    std::fprintf(stderr, "ingestd search: %s: %s\n", target->server.c_str(),
                 reply.status().ToString().c_str());
    return 1;
  }
  if (reply->status != 200) {
    std::fprintf(stderr, "ingestd search: %s\n", DescribeRefusal(*reply).c_str());
    return 1;
  }
  const json& answer = reply->body;
  if (!answer.is_object()) {
    std::fprintf(stderr, "ingestd search: the server's answer is not JSON\n");
    return 1;
  }
  PrintResults(answer);
  return 0;
}

}  // namespace ingestd::cli
