#include "pdf/local_pdf_parser.h"

#include "core/log.h"

namespace ingestd::pdf {

Result<ParseOutput> LocalPdfParser::Parse(const ParseInput& in, const CallContext& ctx) {
  nlohmann::json fields = {{"correlation_id", ctx.correlation_id},
                           {"job_id", ctx.job_id},
                           {"document_id", in.document_id},
                           {"parser", "local"}};
  const Clock& clock = options_.helper.clock ? *options_.helper.clock : *SystemClock::Default();
  int64_t start = clock.MonotonicMillis();
  HelperOptions helper = options_.helper;
  if (size_t n = parses_++; n < options_.sandbox_probes.size()) {
    helper.sandbox_test = options_.sandbox_probes[n];
  }
  Result<HelperResult> r =
      RunHelper(HelperMode::kMarkdown, in.pdf_path, options_.limits, helper, fields);
  fields["elapsed_ms"] = clock.MonotonicMillis() - start;
  if (!r.ok()) {
    fields["code"] = r.status().code();
    log::Warn("local parse failed", fields);
    return r.status();
  }
  fields["pages"] = r->page_count;
  if (!r->warnings.empty()) {
    fields["warnings"] = r->warnings;
    log::Warn("local parse skipped unreadable pages", fields);
  } else {
    log::Info("local parse done", fields);
  }
  ParseOutput out;
  out.markdown = std::move(r->markdown);
  out.page_count = r->page_count;
  out.implementation = "local";
  out.cost_usd = 0;
  return out;
}

}  // namespace ingestd::pdf
