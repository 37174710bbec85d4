#include "cli/pipeline_setup.h"

#include "pipeline/simple_chunker.h"
#include "services/service_factory.h"

namespace ingestd::cli {
namespace {

Result<ServiceOptions> ServiceOptionsFor(const std::string& fault_spec) {
  ServiceOptions options;
  if (fault_spec.empty()) return options;
  auto faults = ParseFaultSpec(fault_spec);
  if (!faults.ok()) return faults.status();
  options.faults = *faults;
  return options;
}

}  // namespace

Pipeline::~Pipeline() {
  if (pool_) pool_->Stop();
}

Result<std::unique_ptr<Pipeline>> StartPipeline(const Config& config, Store* store,
                                                BlobStore* blobs) {
  auto parse_options = ServiceOptionsFor(config.parse_faults);
  if (!parse_options.ok()) return parse_options.status();
  auto embed_options = ServiceOptionsFor(config.embed_faults);
  if (!embed_options.ok()) return embed_options.status();

  std::unique_ptr<Pipeline> p(new Pipeline());
  auto parser = MakeParser(config.parse_mode, *parse_options);
  if (!parser.ok()) return parser.status();
  auto embedder = MakeEmbedder(config.embed_mode, *embed_options);
  if (!embedder.ok()) return embedder.status();
  p->parser_ = std::move(parser.value());
  p->embedder_ = std::move(embedder.value());
  p->chunker_ = std::make_unique<SimpleChunker>();

  PipelineOptions options;
  options.workers = config.workers;
  options.lease_ms = config.lease_ms;
  options.max_attempts = config.max_attempts;
  options.backoff.base_delay_ms = config.retry_base_ms;
  options.backoff.max_delay_ms = config.retry_max_ms;
  if (Status s = ValidatePipelineOptions(options); !s.ok()) return s;

  PipelineDeps deps{store, blobs, p->parser_.get(), p->embedder_.get(), p->chunker_.get(),
                    SystemClock::Default()};
  p->pool_ = std::make_unique<WorkerPool>(deps, options);
  p->pool_->Start();
  return p;
}

}  // namespace ingestd::cli
