// Rows of kListDocuments (sqlite_sql.h, pg_sql.h: the same columns in both) → DocumentSummary
// and rows of CountJobsByState → JobCount,
// shared by the backends like record_codec.h.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "store/record_codec.h"
#include "store/store.h"

namespace ingestd::record {

// The values kListDocuments binds after the user (2: status, 3: state, NULL when unset;
// 4: filename prefix; 5: limit, clamped to [0, 1000]; 6: offset), from f.
struct DocumentListArgs {
  std::optional<std::string_view> status, state;
  std::string_view filename_prefix;
  int limit = 0, offset = 0;
};
inline DocumentListArgs ListArgs(const DocumentFilter& f) {
  DocumentListArgs a;
  if (f.status) a.status = ToString(*f.status);
  if (f.state) a.state = ToString(*f.state);
  a.filename_prefix = f.filename_prefix;
  a.limit = std::clamp(f.limit, 0, 1000);
  a.offset = std::max(f.offset, 0);
  return a;
}

// A Row whose column 0 is column `by` of another: reads a record that follows others.
template <typename Row>
struct ShiftedRow {
  const Row& row;
  int by;
  std::string Text(int col) const { return row.Text(col + by); }
  int64_t Int(int col) const { return row.Int(col + by); }
  bool IsNull(int col) const { return row.IsNull(col + by); }
};

// Document columns 0-8, chunk and vector counts 9 and 10, vector models as a JSON array 11,
// job columns from 12 (NULL when the document has no job).
template <typename Row>
Result<DocumentSummary> ReadDocumentSummary(const Row& s) {
  constexpr int kJobColumn = 12;
  DocumentSummary out;
  Result<Document> doc = ReadDocument(s);
  if (!doc.ok()) return doc.status();
  out.document = std::move(*doc);
  out.chunk_count = s.Int(9);
  out.vector_count = s.Int(10);
  std::optional<nlohmann::json> models = ParseJson(s.Text(11));
  if (!models || !models->is_array()) return CorruptRow("document vector models");
  for (const nlohmann::json& m : *models) {
    if (!m.is_string()) return CorruptRow("document vector models");
    out.vector_models.push_back(m.get<std::string>());
  }
  if (!s.IsNull(kJobColumn)) {
    Result<Job> job = ReadJob(ShiftedRow<Row>{s, kJobColumn});
    if (!job.ok()) return job.status();
    out.job = std::move(*job);
  }
  return out;
}

// A row of (state, status, count) of CountJobsByState.
template <typename Row>
Result<JobCount> ReadJobCount(const Row& s) {
  std::optional<QueueState> state = ParseQueueState(s.Text(0));
  std::optional<JobStatus> status = ParseJobStatus(s.Text(1));
  if (!status || !state) return CorruptRow("job status/state");
  return JobCount{*state, *status, s.Int(2)};
}

}  // namespace ingestd::record
