// The audit log of outbound paid calls: one row per HTTP request ingestd sends to a paid
// provider endpoint (OpenAI embeddings, LlamaParse upload) — retries and failures included —
// plus LlamaParse's result fetch, the request whose answer reports the pages billed. Rows
// say who (user, job, correlation id), with which key (its id, never the key), what
// (tokens, pages, cost from the price table), and how it went (HTTP status or transport
// error code, latency).
//
// AuditSink is what provider clients see: Record must not block the pipeline for long.
// AuditLog is the durable store behind it (SQLite or PostgreSQL, in the store's database,
// tables audit_*), written in batches by AsyncAuditWriter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace ingestd {

struct AuditRecord {
  int64_t audit_id = 0;  // assigned by the log
  int64_t at_ms = 0;     // when the request went out (epoch ms)
  std::string correlation_id;
  std::string job_id;
  std::string user_id;
  std::string service;    // "embed" | "parse"
  std::string provider;   // "openai" | "llamaparse"
  std::string operation;  // "embeddings" | "upload" | "result"
  std::string key_id;
  std::string model;       // embeddings model ("" for parse)
  int64_t inputs = 0;      // texts in an embeddings request
  int64_t tokens = 0;      // usage the provider reported (0 when it answered no usage)
  int64_t pages = 0;       // pages the provider reported (result fetch)
  bool cache_hit = false;  // the provider served it free (not stored; prices it at 0)
  int attempt = 1;         // of this request in its retry loop: > 1 is a retry (not stored)
  int64_t cost_nanos = 0;  // from the price table, of the settled usage
  int http_status = 0;     // 0: no HTTP answer (see error_code)
  std::string error_code;  // "" when the exchange succeeded; else the Status code
  int64_t latency_ms = 0;
};

// Filters of GET /api/v1/audit; empty strings and unset optionals match everything.
struct AuditQuery {
  int64_t from_ms = 0;        // at_ms >= from_ms
  int64_t to_ms = INT64_MAX;  // at_ms < to_ms
  std::string service, job_id, user_id, key_id;
  enum class Outcome { kAny, kOk, kError } outcome = Outcome::kAny;
  std::optional<int> http_status;
  int limit = 50;
  int offset = 0;
};

struct AuditTotals {
  int64_t requests = 0;  // rows matching the filters (one per request)
  int64_t tokens = 0;
  int64_t pages = 0;
  int64_t cost_nanos = 0;
};

struct AuditPage {
  std::vector<AuditRecord> records;  // newest first
  AuditTotals totals;                // over every matching row, not just this page
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Thread-safe; returns quickly (queues the record).
  virtual void Record(AuditRecord record) = 0;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // All records in one transaction (audit_id is assigned). Thread-safe.
  virtual Status Append(const std::vector<AuditRecord>& records) = 0;
  virtual Result<AuditPage> Query(const AuditQuery& query) = 0;
  // Deletes rows with at_ms < before_ms; returns how many.
  virtual Result<int64_t> PruneBefore(int64_t before_ms) = 0;
};

}  // namespace ingestd
