// `ingestd costs [--from T] [--to T] [--group-by service|user|job|day|hour] [--user U]
// [--service S]`:
// spend, open reservations, limits and what remains of them, as JSON — everyone's spend
// (an operator's view; the API scopes it to the caller).
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/ledger_setup.h"
#include "cli/process_setup.h"
#include "core/clock.h"
#include "ledger/cost_report.h"

namespace ingestd::cli {

int RunCosts(const Args& args) {
  std::string from, to, group_by, user, service;
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    std::string* out = args[i] == "--from"       ? &from
                       : args[i] == "--to"       ? &to
                       : args[i] == "--group-by" ? &group_by
                       : args[i] == "--user"     ? &user
                       : args[i] == "--service"  ? &service
                                                 : nullptr;
    if (out == nullptr) {
      std::fprintf(stderr, "ingestd costs: unknown option %s\n", args[i].c_str());
      return 2;
    }
    *out = args[i + 1];
  }
  if (args.size() % 2 != 0) {
    std::fprintf(stderr,
                 "usage: ingestd costs [--from T] [--to T] "
                 "[--group-by service|user|job|day|hour] [--user U] [--service S]\n");
    return 2;
  }
  Clock* clock = SystemClock::Default();
  auto config = LoadProcessConfig(ProcessEnv());
  if (!config.ok()) return FailStart("costs", config.status());
  auto ledger = OpenLedger(*config, clock);
  if (!ledger.ok()) return FailStart("costs", ledger.status());
  auto query = MakeCostQuery(from, to, group_by, clock->NowMillis());
  if (!query.ok()) return FailStart("costs", query.status());
  query->user_id = user;
  query->service = service;
  auto report = (*ledger)->Costs(*query);
  if (!report.ok()) return FailStart("costs", report.status());
  auto windows = (*ledger)->CurrentWindows();
  if (!windows.ok()) return FailStart("costs", windows.status());
  std::printf("%s\n", CostsJson(*query, *report, *windows).dump(2).c_str());
  return 0;
}

}  // namespace ingestd::cli
