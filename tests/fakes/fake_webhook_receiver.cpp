#include "tests/fakes/fake_webhook_receiver.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <ctime>
#include <thread>

namespace ingestd::fakes {
namespace {

// Standard base64 (EVP_DecodeBlock keeps the padding's zero bytes: trimmed here).
std::string FromBase64(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return "";
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string ToBase64(const unsigned char* bytes, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

std::string KeyOf(const std::string& secret) {
  const std::string prefix = "whsec_";
  return secret.rfind(prefix, 0) == 0 ? FromBase64(secret.substr(prefix.size())) : "";
}

bool Verify(const std::string& key, const ReceivedWebhook& d) {
  if (key.empty() || d.webhook_id.empty() || d.timestamp.empty()) return false;
  const std::string content = d.webhook_id + "." + d.timestamp + "." + d.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_len);
  const std::string expected = ToBase64(mac, mac_len);
  size_t at = 0;
  while (at <= d.signature.size()) {
    size_t end = d.signature.find(' ', at);
    if (end == std::string::npos) end = d.signature.size();
    const std::string entry = d.signature.substr(at, end - at);
    if (entry.rfind("v1,", 0) == 0) {
      const std::string sig = entry.substr(3);
      if (sig.size() == expected.size() &&
          CRYPTO_memcmp(sig.data(), expected.data(), sig.size()) == 0) {
        return true;
      }
    }
    at = end + 1;
  }
  return false;
}

bool Fresh(const std::string& timestamp) {
  if (timestamp.empty() || timestamp.size() > 12) return false;
  for (char c : timestamp) {
    if (c < '0' || c > '9') return false;
  }
  const long long t = std::stoll(timestamp);
  const long long now = static_cast<long long>(std::time(nullptr));
  return t >= now - 300 && t <= now + 300;
}

}  // namespace

FakeWebhookReceiver::FakeWebhookReceiver(std::string secret, std::vector<FakeReply> script)
    : key_(KeyOf(secret)),
      script_(std::move(script)),
      server_([this](const FakeRequest& r) { return Answer(r); }, 1'000) {}

std::vector<ReceivedWebhook> FakeWebhookReceiver::deliveries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

bool FakeWebhookReceiver::WaitForDeliveries(size_t n, int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (deliveries().size() < n) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

FakeReply FakeWebhookReceiver::Answer(const FakeRequest& r) {
  ReceivedWebhook d;
  d.webhook_id = r.Header("webhook-id");
  d.timestamp = r.Header("webhook-timestamp");
  d.signature = r.Header("webhook-signature");
  d.correlation_id = r.Header("x-correlation-id");
  d.content_type = r.Header("content-type");
  d.body = r.body;
  d.signature_valid = Verify(key_, d);
  d.timestamp_fresh = Fresh(d.timestamp);
  std::lock_guard<std::mutex> lock(mu_);
  FakeReply reply;
  reply.body = "{}";
  if (r.method != "POST" || r.target != "/hooks/ingestd") {
    reply.status = 404;
  } else if (next_ < script_.size()) {
    reply = script_[next_++];
  }
  d.answered = reply.status;
  received_.push_back(std::move(d));
  return reply;
}

}  // namespace ingestd::fakes
