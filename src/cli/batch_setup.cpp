#include "cli/batch_setup.h"

#include <unistd.h>

#include "core/ids.h"

namespace ingestd::cli {

Result<BatchSetup> StartBatcher(const Config& config, const ServiceOptions& embed, Store* store,
                                Ledger* ledger, const Clock* clock) {
  BatchSetup out;
  std::string_view url = config.database_url;
  auto client = OpenAiBatchClient::Create(
      embed.openai, {nullptr, nullptr, clock, embed.openai_keys, embed.audit, config.data_dir});
  if (!client.ok()) return out;  // no key: nothing can be batched
  out.client = std::move(*client);
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    auto queue = PgBatchStore::Open(std::string(url), out.client->model());
    if (!queue.ok()) return queue.status();
    out.queue = std::move(*queue);
  } else {
    if (url.starts_with("sqlite://")) url.remove_prefix(std::string_view("sqlite://").size());
    auto queue = SqliteBatchStore::Open(std::string(url), out.client->model());
    if (!queue.ok()) return queue.status();
    out.queue = std::move(*queue);
  }
  out.prices = std::make_unique<PriceTable>(config.ledger.prices);
  BatcherOptions options;
  options.holder = "batcher-" + std::to_string(::getpid()) + "-" + NewUuidV4();
  options.flush_ms = config.batch_flush_ms;
  options.poll_ms = config.batch_poll_ms;
  options.lease_ms = config.batch_lease_ms;
  options.failed_lines = config.batch_failed_lines_again ? FailedLines::kBatch : FailedLines::kSync;
  out.batcher = std::make_unique<Batcher>(
      BatcherDeps{out.queue.get(), store, out.client.get(), ledger, out.prices.get(), clock},
      options);
  out.batcher->Start();
  return out;
}

}  // namespace ingestd::cli
