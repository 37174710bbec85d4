// The environment of an `ingestd serve` whose paid calls go to the in-process fakes, and that
// takes up a killed process's work again within about a second: a lease, reservation
// timeout and retry backoff of 1 s or less, one worker, no health probes (only the
// pipeline's requests reach the fakes) and a $1 daily budget (so ledger windows exist).
#pragma once

#include <map>
#include <string>

#include "tests/fakes/fake_llamaparse_server.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::fakes {

inline std::map<std::string, std::string> FakeProvidersEnv(const FakeOpenAiServer& openai,
                                                           const FakeLlamaParseServer& llamaparse) {
  return {{"INGESTD_PROBE_INTERVAL_MS", "0"},
          {"OPENAI_API_KEY", kOpenAiTestKey},
          {"OPENAI_BASE_URL", openai.base_url()},
          {"LLAMAPARSE_API_KEY", FakeLlamaParseOptions{}.api_key},
          {"LLAMAPARSE_BASE_URL", llamaparse.base_url()},
          {"INGESTD_WORKERS", "1"},
          {"INGESTD_LEASE_MS", "1000"},
          {"INGESTD_RESERVATION_TIMEOUT_MS", "1000"},
          {"INGESTD_RETRY_BASE_MS", "100"},
          {"INGESTD_RETRY_MAX_MS", "200"},
          {"INGESTD_BUDGET_DAILY_USD", "1"}};
}

}  // namespace ingestd::fakes
