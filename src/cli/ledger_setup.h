// Opens the cost ledger beside the store: in the store's SQLite file (its own ledger_*
// tables), so every process on that file shares one budget. Used by serve, worker and costs.
#pragma once

#include <memory>

#include "cli/config.h"
#include "core/clock.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace ingestd::cli {

// nullptr (and a warning) for a PostgreSQL store: its ledger tables are not built yet, so
// budgets are not enforced there. Alerts are logged and, with a store, recorded as events;
// a sink, when given, hears them instead (the pipeline's alerts record the events).
Result<std::unique_ptr<Ledger>> OpenLedger(const Config& config, Clock* clock,
                                           Store* store = nullptr, AlertSink sink = nullptr);

}  // namespace ingestd::cli
