// The Batch API batcher `ingestd serve` runs (batch/batcher.h), on the store's database
// (SQLite or PostgreSQL): built when real embeddings can be served (an OpenAI key); otherwise
// none, and every embedding is synchronous (uploads asking "embed_via": "batch" included).
#pragma once

#include <memory>

#include "batch/batcher.h"
#include "batch/pg_batch_store.h"
#include "batch/sqlite_batch_store.h"
#include "cli/config.h"
#include "cli/service_factory.h"

namespace ingestd::cli {

struct BatchSetup {
  std::unique_ptr<PriceTable> prices;  // the configuration's, for the batcher's settles
  std::unique_ptr<OpenAiBatchClient> client;
  std::unique_ptr<BatchStore> queue;  // the embed stage's EmbedBatchQueue
  std::unique_ptr<Batcher> batcher;   // started; stops when destroyed
};

// store, ledger (may be null) and clock must outlive the result.
Result<BatchSetup> StartBatcher(const Config& config, const ServiceOptions& embed, Store* store,
                                Ledger* ledger, const Clock* clock);

}  // namespace ingestd::cli
