#include "api/chunk_vectors.h"

#include "api/views.h"

namespace ingestd::api {

Result<bool> IncludeVectors(const ApiRequest& req) {
  auto it = req.query.find("include");
  if (it == req.query.end() || it->second.empty()) return false;
  if (it->second == "vectors") return true;
  return Status::InvalidArgument("INVALID_FIELD", "include must be 'vectors'");
}

Result<std::map<std::string, nlohmann::json>> VectorsByChunk(
    Store& store, std::string_view user_id, const std::vector<std::string>& chunk_ids,
    const std::string& model) {
  std::map<std::string, nlohmann::json> out;
  if (chunk_ids.empty()) return out;
  auto vectors = store.GetChunkVectors(user_id, chunk_ids);
  if (!vectors.ok()) return vectors.status();
  for (const VectorRecord& v : *vectors) {
    if (!model.empty() && v.model != model) continue;
    auto [it, fresh] = out.try_emplace(v.chunk_id, nlohmann::json::array());
    it->second.push_back(VectorJson(v));
  }
  return out;
}

}  // namespace ingestd::api
