// What request handlers work with: the store, the blob store, the clock, and options.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "api/callback_url.h"
#include "blob/blob_store.h"
#include "core/clock.h"
#include "limits/upload_limiter.h"
#include "store/store.h"

namespace ingestd {
class AlertLog;
class AuditLog;
class KeyRegistry;
class Ledger;
class ModeController;
class ServiceRouter;
namespace search {
class SearchService;
}  // namespace search
}  // namespace ingestd

namespace ingestd::api {

class SearchObserver;
class UploadPreflight;

struct ApiOptions {
  int64_t max_upload_bytes = 100 * 1024 * 1024;
  int64_t upload_url_ttl_s = 900;  // lifetime of a signed upload URL
  std::string public_url;          // base of signed URLs, e.g. "http://127.0.0.1:8080"
  std::string jwt_secret;          // HS256 key for bearer tokens
  std::string upload_secret;       // HMAC key for upload URLs
  std::string service_mode = "local";
  size_t max_json_body = 64 * 1024;    // non-upload request bodies
  limits::UploadLimits upload_limits;  // per user; rates enforced by ApiContext::upload_limiter
  // Completion callbacks (callback_url.h): without INGESTD_CALLBACK_SECRET they are off and
  // an upload naming a callback_url is refused (an unsigned callback is never sent).
  bool callbacks_enabled = false;
  CallbackUrlPolicy callback_urls;
  // INGESTD_METRICS_TOKEN, a secret: when set, GET /metrics wants "Authorization: Bearer <it>".
  std::string metrics_token;
};

struct ApiContext {
  Store* store = nullptr;
  BlobStore* blobs = nullptr;
  Clock* clock = nullptr;
  ApiOptions options;
  // Wakes idle workers when a job becomes runnable; may be empty.
  std::function<void()> on_job_queued;
  // When set, every upload is opened by this page counter before it is accepted, so a PDF
  // the parser could never read (encrypted, no pages, corrupt) is refused at once with its
  // 422 instead of failing later as a job.
  std::function<Result<int>(const std::string& pdf_path)> count_pages;
  // The cost ledger and service router of this process, for /costs and /services/health;
  // null when the process could not build its pipeline.
  Ledger* ledger = nullptr;
  ServiceRouter* router = nullptr;
  // Checks every upload before anything is stored (upload_preflight.h); null: no checks.
  const UploadPreflight* preflight = nullptr;
  // The alert list for GET /api/v1/alerts; null when the process runs no pipeline.
  AlertLog* alerts = nullptr;
  // Provider key ids and states for /services/health (null: no pipeline here), and the
  // audit log of paid calls for GET /api/v1/audit.
  const KeyRegistry* keys = nullptr;
  AuditLog* audit = nullptr;
  // Live mode switching (src/control); null when the process has no service router.
  ModeController* modes = nullptr;
  // The per-user upload buckets; null when no upload rate limit is configured.
  limits::UploadLimiter* upload_limiter = nullptr;
  // The Prometheus text exposition of GET /metrics (src/metrics); empty: 404 METRICS_DISABLED.
  // Called on handler threads, concurrently.
  std::function<std::string()> metrics_exposition;
  // POST /api/v1/search and the index report; null when the process has no embed router.
  search::SearchService* search = nullptr;
  // The per-user search buckets (INGESTD_SEARCHES_PER_MINUTE); null when unlimited.
  limits::UploadLimiter* search_limiter = nullptr;  // kind kSearchBuckets
  // Hears each search's outcome and time (search metrics); null: nobody listens.
  SearchObserver* search_observer = nullptr;

  void NotifyQueued() const {
    if (on_job_queued) on_job_queued();
  }
};

}  // namespace ingestd::api
