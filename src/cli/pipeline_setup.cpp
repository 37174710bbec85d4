#include "cli/pipeline_setup.h"

#include "text/markdown_token_chunker.h"
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
  embed_options->openai.api_key = config.openai_api_key;
  embed_options->openai.base_url = config.openai_base_url;
  embed_options->openai.model = config.openai_embed_model;
  if (config.openai_embed_dimensions > 0) {
    embed_options->openai.dimensions = config.openai_embed_dimensions;
  }

  std::unique_ptr<Pipeline> p(new Pipeline());
  auto parser = MakeParser(config.parse_mode, *parse_options);
  if (!parser.ok()) return parser.status();
  auto embedder = MakeEmbedder(config.embed_mode, *embed_options);
  if (!embedder.ok()) return embedder.status();
  p->parser_ = std::move(parser.value());
  p->embedder_ = std::move(embedder.value());
  auto chunker = MarkdownTokenChunker::Create(
      {.max_tokens = config.chunk_max_tokens, .overlap_tokens = config.chunk_overlap_tokens});
  if (!chunker.ok()) return chunker.status();
  p->chunker_ = std::move(chunker.value());

  PipelineOptions options;
  options.workers = config.workers;
  options.lease_ms = config.lease_ms;
  options.max_attempts = config.max_attempts;
  options.backoff.base_delay_ms = config.retry_base_ms;
  options.backoff.max_delay_ms = config.retry_max_ms;
  // A remote embedder packs each call into requests of up to 2048 inputs / 300k tokens:
  // give it enough texts per call to fill them (2048 is the most the options allow).
  if (config.embed_mode == "real") options.embed_batch_size = 2048;
  if (Status s = ValidatePipelineOptions(options); !s.ok()) return s;

  PipelineDeps deps{store,
                    blobs,
                    p->parser_.get(),
                    p->embedder_.get(),
                    p->chunker_.get(),
                    SystemClock::Default()};
  p->pool_ = std::make_unique<WorkerPool>(deps, options);
  p->pool_->Start();
  return p;
}

}  // namespace ingestd::cli
