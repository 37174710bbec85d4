#include "core/model.h"

#include <array>

namespace ingestd {
namespace {

constexpr std::array<std::string_view, 13> kStatusNames = {"awaiting_upload",
                                                           "uploaded",
                                                           "parse_queued",
                                                           "parse_submitted",
                                                           "parsed",
                                                           "parse_validated",
                                                           "chunking",
                                                           "chunks_stored",
                                                           "embedding_queued",
                                                           "embedding_in_progress",
                                                           "embeddings_stored",
                                                           "complete",
                                                           "embedding_batched"};

constexpr std::array<std::string_view, 5> kStateNames = {"queued", "working", "retryable", "done",
                                                         "deadletter"};

template <typename E, size_t N>
std::optional<E> Lookup(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view ToString(JobStatus s) { return kStatusNames[static_cast<size_t>(s)]; }
std::string_view ToString(QueueState s) { return kStateNames[static_cast<size_t>(s)]; }

std::optional<JobStatus> ParseJobStatus(std::string_view s) {
  return Lookup<JobStatus>(kStatusNames, s);
}

std::optional<QueueState> ParseQueueState(std::string_view s) {
  return Lookup<QueueState>(kStateNames, s);
}

}  // namespace ingestd
