#include "cli/ledger_setup.h"

#include <string_view>

#include "ledger/pg_ledger.h"
#include "ledger/sqlite_ledger.h"

namespace ingestd::cli {

Result<std::unique_ptr<Ledger>> OpenLedger(const Config& config, Clock* clock, Store* store,
                                           AlertSink sink) {
  std::string_view url = config.database_url;
  if (!sink && store != nullptr) {
    sink = [store, clock](const LedgerAlert& a) {
      if (a.job_id.empty()) return;  // events belong to a job
      Event e;
      e.job_id = a.job_id;
      e.correlation_id = a.correlation_id;
      e.type = "error";
      e.code = a.kind == "zero_cost"      ? "COST_ZERO_SETTLED"
               : a.kind == "cost_overrun" ? "COST_OVERRUN"
                                          : "BUDGET_ALERT";
      e.payload = {{"kind", a.kind},   {"scope", a.scope}, {"metric", a.metric},
                   {"spent", a.spent}, {"limit", a.limit}, {"reservation_id", a.reservation_id}};
      e.at_ms = clock->NowMillis();
      (void)store->AppendEvent(e);  // best effort: the alert is logged either way
    };
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    auto ledger = PgLedger::Open(std::string(url), clock, config.ledger, std::move(sink));
    if (!ledger.ok()) return ledger.status();
    return std::unique_ptr<Ledger>(std::move(*ledger));
  }
  if (url.starts_with("sqlite://")) url.remove_prefix(std::string_view("sqlite://").size());
  auto ledger = SqliteLedger::Open(std::string(url), clock, config.ledger, std::move(sink));
  if (!ledger.ok()) return ledger.status();
  return std::unique_ptr<Ledger>(std::move(*ledger));
}

}  // namespace ingestd::cli
