// Builds the services and the worker pool that `ingestd serve` runs, from the Config.
#pragma once

#include <memory>

#include "blob/blob_store.h"
#include "cli/config.h"
#include "pipeline/worker_pool.h"
#include "store/store.h"

namespace ingestd::cli {

// Owns the parser, embedder and chunker the workers share, and the pool itself.
class Pipeline {
 public:
  ~Pipeline();
  void Notify() { pool_->Notify(); }
  void Stop() { pool_->Stop(); }

 private:
  friend Result<std::unique_ptr<Pipeline>> StartPipeline(const Config&, Store*, BlobStore*);
  Pipeline() = default;

  std::unique_ptr<Parser> parser_;
  std::unique_ptr<Embedder> embedder_;
  std::unique_ptr<Chunker> chunker_;
  std::unique_ptr<WorkerPool> pool_;
};

// store and blobs must outlive the returned pipeline.
Result<std::unique_ptr<Pipeline>> StartPipeline(const Config& config, Store* store,
                                                BlobStore* blobs);

}  // namespace ingestd::cli
