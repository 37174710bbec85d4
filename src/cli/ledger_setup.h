// Opens the cost ledger beside the store: in the store's SQLite file or PostgreSQL database
// (its own ledger_* tables), so every process on that database shares one budget. Used by
// serve, worker and costs.
#pragma once

#include <memory>

#include "cli/config.h"
#include "core/clock.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace ingestd::cli {

// SqliteLedger for a file (sqlite:// or a path), PgLedger for postgres:// and postgresql://
// URLs (its own connection pool). Alerts are logged and, with a store, recorded as events;
// a sink, when given, hears them instead (the pipeline's alerts record the events).
Result<std::unique_ptr<Ledger>> OpenLedger(const Config& config, Clock* clock,
                                           Store* store = nullptr, AlertSink sink = nullptr);

}  // namespace ingestd::cli
