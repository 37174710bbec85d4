#include "pipeline/pipeline_options.h"

#include <string>

namespace ingestd {
namespace {

Status Bad(const std::string& field, const std::string& why) {
  return Status::InvalidArgument("PIPELINE_OPTIONS_INVALID", field + " " + why);
}

}  // namespace

Status ValidatePipelineOptions(const PipelineOptions& o) {
  if (o.workers < 1 || o.workers > 256) return Bad("workers", "must be in 1..256");
  if (o.lease_ms < 100) return Bad("lease_ms", "must be at least 100");
  if (o.heartbeat_interval_ms < 0 || o.EffectiveHeartbeatMs() >= o.lease_ms) {
    return Bad("heartbeat_interval_ms", "must be below lease_ms");
  }
  if (o.backoff.base_delay_ms < 0 || o.backoff.max_delay_ms < o.backoff.base_delay_ms) {
    return Bad("backoff", "needs 0 <= base_delay_ms <= max_delay_ms");
  }
  if (o.backoff.multiplier < 1.0) return Bad("backoff.multiplier", "must be at least 1");
  if (o.max_attempts < 1) return Bad("max_attempts", "must be at least 1");
  if (o.idle_poll_ms < 1) return Bad("idle_poll_ms", "must be at least 1");
  if (o.notified_idle_poll_ms < 1) return Bad("notified_idle_poll_ms", "must be at least 1");
  if (o.embed_batch_size < 1 || o.embed_batch_size > 2048) {
    return Bad("embed_batch_size", "must be in 1..2048");
  }
  if (o.embed_cache_max_vectors < 0) return Bad("embed_cache_max_vectors", "must not be negative");
  if (o.progress_interval_ms < 0) return Bad("progress_interval_ms", "must not be negative");
  if (o.drain_ms < 0) return Bad("drain_ms", "must not be negative");
  return Status();
}

}  // namespace ingestd
