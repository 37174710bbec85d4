// ProviderMetrics: an AuditSink in front of the audit writer. Every HTTP exchange with a paid
// provider is audited (services/call_audit.h: each try of each request, failures included),
// so the audit stream is the one place all outbound calls pass: each row is counted here —
// requests, latency and errors by service, provider and HTTP status, retries, 429s, tokens
// and pages billed — then handed on unchanged.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "audit/audit_log.h"

namespace ingestd::metrics {

class ProviderMetrics final : public AuditSink {
 public:
  // registry and next must outlive this object. Thread-safe, like next.
  ProviderMetrics(prometheus::Registry* registry, AuditSink* next);
  void Record(AuditRecord record) override;

 private:
  AuditSink* const next_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Counter>& rate_limited_;
  prometheus::Family<prometheus::Counter>& tokens_;
  prometheus::Family<prometheus::Counter>& pages_;
};

}  // namespace ingestd::metrics
