// POST /api/v1/search: the caller's chunks by vector, keyword or both (search/search_service.h);
// GET /api/v1/search/index (admin): the in-memory index's spaces with vectors and memory.
#include <time.h>

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "api/validation.h"
#include "core/json_read.h"
#include "search/search_service.h"

namespace ingestd::api {
namespace {

using nlohmann::json;

constexpr size_t kMaxFilterDocuments = 1'000;

Status BadSearchField(const std::string& message) {
  return Status::InvalidArgument("INVALID_FIELD", message);
}

// Two-digit (or n-digit) decimal at s[at..at+n), or -1.
int DecimalAt(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return -1;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
  return ec == std::errc() && p == s.data() + at + n ? v : -1;
}

// RFC 3339 / ISO-8601 "YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)" → milliseconds since the epoch.
std::optional<int64_t> ParseRfc3339(std::string_view s) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const int year = DecimalAt(s, 0, 4), month = DecimalAt(s, 5, 2), day = DecimalAt(s, 8, 2);
  const int hour = DecimalAt(s, 11, 2), minute = DecimalAt(s, 14, 2), second = DecimalAt(s, 17, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60 || hour < 0 || minute < 0 || second < 0) {
    return std::nullopt;
  }
  size_t at = 19;
  int64_t millis = 0;
  if (at < s.size() && s[at] == '.') {
    int64_t scale = 100;
    size_t digits = 0;
    for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, ++digits) {
      millis += (s[at] - '0') * scale;
      scale /= 10;
    }
    if (digits == 0) return std::nullopt;
  }
  int64_t offset_s = 0;
  if (at + 1 == s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at + 6 == s.size() && (s[at] == '+' || s[at] == '-') && s[at + 3] == ':') {
    const int oh = DecimalAt(s, at + 1, 2), om = DecimalAt(s, at + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset_s = (s[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    at += 6;
  }
  if (at != s.size()) return std::nullopt;
  struct tm t = {};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_sec = second;
  const time_t utc = timegm(&t);
  if (t.tm_mday != day) return std::nullopt;  // 2026-02-30 rolled over
  return (static_cast<int64_t>(utc) - offset_s) * 1000 + millis;
}

// uploaded_after / uploaded_before: milliseconds since the epoch, or an RFC 3339 time.
Status UploadTime(const json& filter, const char* key, std::optional<int64_t>* out) {
  const json* v = json_read::Find(filter, key);
  if (v == nullptr || v->is_null()) return Status();
  if (auto ms = json_read::Int(filter, key)) {
    *out = *ms;
    return Status();
  }
  if (v->is_string()) {
    if (auto ms = ParseRfc3339(v->get_ref<const std::string&>())) {
      *out = *ms;
      return Status();
    }
  }
  return BadSearchField(std::string("filter.") + key +
                        " must be milliseconds since the epoch or an RFC 3339 time");
}

Status ReadFilter(const json& filter, SearchFilter* out) {
  if (filter.is_null()) return Status();
  if (!filter.is_object()) return WrongType("filter", "an object");
  for (const auto& [key, value] : filter.items()) {
    if (key != "document_ids" && key != "filename_prefix" && key != "uploaded_after" &&
        key != "uploaded_before") {
      return BadSearchField(
          "unknown filter '" + key +
          "'; filters: document_ids, filename_prefix, uploaded_after, uploaded_before");
    }
  }
  if (const json* ids = json_read::Find(filter, "document_ids"); ids && !ids->is_null()) {
    if (!ids->is_array()) return WrongType("filter.document_ids", "an array of strings");
    if (ids->size() > kMaxFilterDocuments) {
      return BadSearchField("filter.document_ids holds at most " +
                            std::to_string(kMaxFilterDocuments));
    }
    for (const json& id : *ids) {
      if (!id.is_string()) return WrongType("filter.document_ids", "an array of strings");
      out->document_ids.push_back(id.get<std::string>());
    }
    // An empty list restricts to no document, unlike an absent one.
    if (out->document_ids.empty()) out->document_ids.push_back("");
  }
  if (const json* prefix = json_read::Find(filter, "filename_prefix");
      prefix && !prefix->is_null()) {
    if (!prefix->is_string()) return WrongType("filter.filename_prefix", "a string");
    out->filename_prefix = prefix->get<std::string>();
  }
  if (Status s = UploadTime(filter, "uploaded_after", &out->uploaded_after_ms); !s.ok()) return s;
  return UploadTime(filter, "uploaded_before", &out->uploaded_before_ms);
}

Result<search::SearchQuery> ReadQuery(const json& body) {
  for (const auto& [key, value] : body.items()) {
    if (key != "query" && key != "top_k" && key != "mode" && key != "filter") {
      return BadSearchField("unknown field '" + key + "'; fields: query, top_k, mode, filter");
    }
  }
  search::SearchQuery q;
  const json* text = json_read::Find(body, "query");
  if (text == nullptr || text->is_null()) return MissingField("query");
  if (!text->is_string()) return WrongType("query", "a string");
  q.text = text->get<std::string>();
  if (const json* k = json_read::Find(body, "top_k"); k && !k->is_null()) {
    auto top_k = json_read::Int(body, "top_k");
    if (!top_k) return WrongType("top_k", "an integer");
    if (*top_k < 1 || *top_k > search::kMaxTopK) {
      return BadSearchField("top_k must be 1 to " + std::to_string(search::kMaxTopK));
    }
    q.top_k = static_cast<int>(*top_k);
  }
  if (const json* m = json_read::Find(body, "mode"); m && !m->is_null()) {
    if (!m->is_string()) return WrongType("mode", "a string");
    auto mode = search::ParseSearchMode(m->get<std::string>());
    if (!mode.ok()) return mode.status();
    q.mode = *mode;
  }
  if (const json* f = json_read::Find(body, "filter")) {
    if (Status s = ReadFilter(*f, &q.filter); !s.ok()) return s;
  }
  return q;
}

json NullableJson(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json NullableJson(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }

json HitJson(const search::SearchHit& h) {
  const Chunk& c = h.view.chunk;
  auto page = [](int p) { return p > 0 ? json(p) : json(nullptr); };
  return {{"chunk_id", c.id},
          {"document_id", c.document_id},
          {"filename", h.view.filename},
          {"ord", c.ord},
          {"text", c.text},
          {"heading_path", c.heading_path},
          {"page_start", page(c.page_start)},
          {"page_end", page(c.page_end)},
          {"score", h.score},
          {"scores",
           {{"vector", NullableJson(h.vector_score)}, {"keyword", NullableJson(h.keyword_score)}}},
          {"rank",
           {{"vector", NullableJson(h.vector_rank)}, {"keyword", NullableJson(h.keyword_rank)}}}};
}

ApiResponse NoSearch(const ApiRequest& req) {
  return ErrorResponse(Status::Error(Kind::kUnavailable, "SEARCH_NOT_IN_PROCESS",
                                     "this process has no search service (no embed router)"),
                       req.correlation_id);
}

// The search of a query read from its body: checks, the caller's bucket, the search.
ApiResponse RunSearch(ApiContext& ctx, const ApiRequest& req, search::SearchQuery query) {
  const std::string& cid = req.correlation_id;
  // Refused input takes no token of the caller's bucket.
  if (auto checked = search::SearchService::Check(query); !checked.ok()) {
    return ErrorResponse(checked.status(), cid);
  }
  if (ctx.search_limiter != nullptr) {
    if (Status s = ctx.search_limiter->Take(req.caller->sub); !s.ok()) {
      return ErrorResponse(s, cid);
    }
  }
  query.user_id = req.caller->sub;
  query.correlation_id = cid;
  auto answer = ctx.search->Search(query);
  if (!answer.ok()) return ErrorResponse(answer.status(), cid);
  json results = json::array();
  for (const search::SearchHit& h : answer->hits) results.push_back(HitJson(h));
  return JsonResponse(
      200, {{"results", std::move(results)},
            {"model", answer->model.empty() ? json(nullptr) : json(answer->model)},
            {"mode", search::SearchModeName(answer->mode)},
            {"took_ms", answer->took_ms},
            {"query", {{"tokens", answer->query_tokens}, {"cost_nanos", answer->cost_nanos}}},
            {"vector_pending_documents", answer->vector_pending_documents}});
}

}  // namespace

ApiResponse HandleSearch(ApiContext& ctx, const ApiRequest& req) {
  const std::string& cid = req.correlation_id;
  if (ctx.search == nullptr) return NoSearch(req);
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ErrorResponse(
        Status::InvalidArgument("INVALID_JSON", "body must be a JSON object in valid UTF-8"), cid);
  }
  auto query = ReadQuery(body);
  if (!query.ok()) return ErrorResponse(query.status(), cid);
  const auto start = std::chrono::steady_clock::now();
  const search::SearchMode mode = query->mode;
  ApiResponse response = RunSearch(ctx, req, std::move(*query));
  if (ctx.search_observer != nullptr) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    ctx.search_observer->OnSearch(
        {.mode = search::SearchModeName(mode),
         .outcome = response.status < 400 ? std::string_view("ok") : response.error_code,
         .seconds = took.count()});
  }
  return response;
}

ApiResponse HandleSearchIndex(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.search == nullptr) return NoSearch(req);
  const search::IndexReport report = ctx.search->index()->Report();
  json spaces = json::array();
  size_t vectors = 0, bytes = 0;
  for (const search::SpaceReport& s : report.spaces) {
    vectors += s.vectors;
    bytes += s.memory_bytes;
    spaces.push_back({{"user_id", s.user_id},
                      {"model", s.model},
                      {"dims", s.dims},
                      {"kind", s.kind},
                      {"vectors", s.vectors},
                      {"documents", s.documents},
                      {"memory_bytes", s.memory_bytes}});
  }
  return JsonResponse(200, {{"seq", report.seq},
                            {"vectors", vectors},
                            {"memory_bytes", bytes},
                            {"spaces", std::move(spaces)}});
}

}  // namespace ingestd::api
