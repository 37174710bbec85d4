// FakeWebhookReceiver: a Standard Webhooks 1.0 consumer on a free loopback port, written
// from the specification, not from ingestd's sender
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
// "Signature scheme", "Webhook headers", "Verifying signatures"):
// - the secret is "whsec_" + base64; the HMAC key is the base64 decoded;
// - the signed content is "{webhook-id}.{webhook-timestamp}.{raw body}", HMAC-SHA256;
// - webhook-signature is a space-delimited list of "v1,<base64 signature>" entries, and a
//   delivery is authentic when one of them equals the computed one (compared in constant
//   time); webhook-timestamp is integer unix seconds, within a tolerance of now (5 min);
// - a 2xx answer is a success, anything else a failure the sender retries.
// It verifies with its own code (OpenSSL directly), never ingestd's. Replies are scripted
// (200 once the script ends). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/fakes/fake_http_server.h"

namespace ingestd::fakes {

struct ReceivedWebhook {
  std::string webhook_id, timestamp, signature, correlation_id;
  std::string content_type;
  std::string body;
  bool signature_valid = false;  // one v1 entry verified under the secret
  bool timestamp_fresh = false;  // integer unix seconds within 5 minutes of now
  int answered = 0;              // the status this receiver answered
};

class FakeWebhookReceiver {
 public:
  // secret: "whsec_<base64>" as the sender was given it.
  FakeWebhookReceiver(std::string secret, std::vector<FakeReply> script = {});

  std::string url() const { return server_.base_url() + "/hooks/ingestd"; }
  std::vector<ReceivedWebhook> deliveries() const;
  // Waits until at least n deliveries arrived (false after timeout_ms).
  bool WaitForDeliveries(size_t n, int timeout_ms) const;

 private:
  FakeReply Answer(const FakeRequest& r);

  const std::string key_;  // decoded from the secret
  mutable std::mutex mu_;
  std::vector<FakeReply> script_;          // guarded by mu_
  size_t next_ = 0;                        // guarded by mu_
  std::vector<ReceivedWebhook> received_;  // guarded by mu_
  FakeHttpServer server_;                  // last: stopped first
};

}  // namespace ingestd::fakes
