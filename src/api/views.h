// JSON representations of domain records in API responses.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/model.h"
#include "store/store.h"

namespace ingestd::api {

nlohmann::json JobJson(const Job& job);
// The job view's "embed": {chunks, chunks_cached, tokens_paid, tokens_cached, saved_nanos}.
nlohmann::json EmbedUsageJson(const EmbedUsage& usage);
// The job view as GET /api/v1/jobs/{id} answers it and a completion callback carries it:
// JobJson plus the document's "embed" usage read from the store.
Result<nlohmann::json> JobView(Store& store, const Job& job);
nlohmann::json DocumentJson(const Document& doc, const std::string& job_id, int64_t chunk_count,
                            int64_t vector_count);
// DocumentJson, with the newest job's status and state (null without a job) and the models
// of the document's vectors: an item of GET /api/v1/documents.
nlohmann::json DocumentSummaryJson(const DocumentSummary& summary);
nlohmann::json ChunkJson(const Chunk& chunk);
nlohmann::json EventJson(const Event& event);
// {model, dims, embedding_b64}: the values as standard base64 of little-endian float32.
nlohmann::json VectorJson(const VectorRecord& vector);
// Overall progress 0..100 from the pipeline position.
int TotalPercent(JobStatus status);

}  // namespace ingestd::api
