// GET /api/v1/documents, GET /api/v1/documents/{id}, GET /api/v1/documents/{id}/chunks,
// DELETE /api/v1/documents/{id}.
#include <nlohmann/json.hpp>

#include "api/chunk_vectors.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "api/views.h"
#include "core/log.h"

namespace ingestd::api {

ApiResponse HandleListDocuments(ApiContext& ctx, const ApiRequest& req) {
  DocumentFilter filter;
  Status s = PageParams(req, &filter.limit, &filter.offset, "INVALID_FIELD");
  if (auto it = req.query.find("status"); s.ok() && it != req.query.end() && !it->second.empty()) {
    filter.status = ParseJobStatus(it->second);
    if (!filter.status) s = Status::InvalidArgument("INVALID_FIELD", "unknown status");
  }
  if (auto it = req.query.find("state"); s.ok() && it != req.query.end() && !it->second.empty()) {
    filter.state = ParseQueueState(it->second);
    if (!filter.state) s = Status::InvalidArgument("INVALID_FIELD", "unknown state");
  }
  if (!s.ok()) return ErrorResponse(s, req.correlation_id);
  if (auto it = req.query.find("filename_prefix"); it != req.query.end()) {
    filter.filename_prefix = it->second;
  }
  auto docs = ctx.store->ListDocuments(req.caller->sub, filter);
  if (!docs.ok()) return ErrorResponse(docs.status(), req.correlation_id);
  nlohmann::json list = nlohmann::json::array();
  for (const DocumentSummary& d : *docs) list.push_back(DocumentSummaryJson(d));
  return JsonResponse(200,
                      {{"documents", list}, {"limit", filter.limit}, {"offset", filter.offset}});
}

ApiResponse HandleGetDocument(ApiContext& ctx, const ApiRequest& req) {
  const std::string& cid = req.correlation_id;
  auto doc = ctx.store->GetDocument(req.caller->sub, req.params.at("id"));
  if (!doc.ok()) return ErrorResponse(doc.status(), cid);
  auto job = ctx.store->FindJobForDocument(doc->id);
  auto chunks = ctx.store->CountChunks(doc->id);
  auto vectors = ctx.store->CountVectors(doc->id);
  for (const Status* s : {&job.status(), &chunks.status(), &vectors.status()}) {
    if (!s->ok()) return ErrorResponse(*s, cid);
  }
  std::string job_id = job->has_value() ? (*job)->id : "";
  return JsonResponse(200, DocumentJson(*doc, job_id, *chunks, *vectors));
}

ApiResponse HandleDocumentChunks(ApiContext& ctx, const ApiRequest& req) {
  int limit = 100, offset = 0;
  if (Status s = PageParams(req, &limit, &offset); !s.ok()) {
    return ErrorResponse(s, req.correlation_id);
  }
  auto include = IncludeVectors(req);
  if (!include.ok()) return ErrorResponse(include.status(), req.correlation_id);
  auto chunks = ctx.store->ListChunks(req.caller->sub, req.params.at("id"), limit, offset);
  if (!chunks.ok()) return ErrorResponse(chunks.status(), req.correlation_id);
  nlohmann::json list = nlohmann::json::array();
  for (const Chunk& c : *chunks) list.push_back(ChunkJson(c));
  if (*include) {
    std::vector<std::string> ids;
    for (const Chunk& c : *chunks) ids.push_back(c.id);
    auto vectors = VectorsByChunk(*ctx.store, req.caller->sub, ids);
    if (!vectors.ok()) return ErrorResponse(vectors.status(), req.correlation_id);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto it = vectors->find(ids[i]);
      list[i]["vectors"] = it == vectors->end() ? nlohmann::json::array() : std::move(it->second);
    }
  }
  return JsonResponse(200, {{"chunks", list}, {"limit", limit}, {"offset", offset}});
}

ApiResponse HandleDeleteDocument(ApiContext& ctx, const ApiRequest& req) {
  auto keys = ctx.store->DeleteDocument(req.caller->sub, req.params.at("id"));
  if (!keys.ok()) return ErrorResponse(keys.status(), req.correlation_id);
  for (const std::string& key : *keys) {
    if (Status s = ctx.blobs->Delete(key); !s.ok()) {
      // The rows are gone; a leftover file is only garbage. Say so and carry on.
      log::Warn("blob delete failed", {{"correlation_id", req.correlation_id},
                                       {"blob_key", key},
                                       {"error", s.ToString()}});
    }
  }
  log::Info("document deleted",
            {{"correlation_id", req.correlation_id}, {"document_id", req.params.at("id")}});
  ApiResponse r;
  r.status = 204;
  return r;
}

}  // namespace ingestd::api
