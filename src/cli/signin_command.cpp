// `ingestd signin-code --user U [--role user|admin] [--ttl-ms N] [--url-base URL]`: a
// one-time sign-in code (api/signin_code.h) stored in the database `ingestd serve` uses, so
// any server process of it redeems the code once. Prints the code, or with --url-base the
// dashboard URL carrying it in the fragment (which the browser never sends).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "api/signin_code.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/process_setup.h"
#include "core/clock.h"

namespace ingestd::cli {

int RunSigninCode(const Args& args) {
  std::string user, role = "user", url_base;
  int64_t ttl_ms = api::kDefaultSigninCodeTtlMs;
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--user") {
      user = args[i + 1];
    } else if (args[i] == "--role") {
      role = args[i + 1];
    } else if (args[i] == "--ttl-ms") {
      ttl_ms = std::atoll(args[i + 1].c_str());
    } else if (args[i] == "--url-base") {
      url_base = args[i + 1];
    } else {
      std::fprintf(stderr, "ingestd signin-code: unknown option %s\n", args[i].c_str());
      return 2;
    }
  }
  if (user.empty() || args.size() % 2 != 0 || ttl_ms <= 0 || (role != "user" && role != "admin")) {
    std::fprintf(stderr,
                 "usage: ingestd signin-code --user U [--role user|admin] [--ttl-ms N]"
                 " [--url-base URL]\n");
    return 2;
  }
  auto config = LoadProcessConfig(ProcessEnv());
  if (!config.ok()) return FailStart("signin-code", config.status());
  auto store = OpenStore(config->database_url);
  Status s = store.ok() ? (*store)->Migrate() : store.status();
  if (!s.ok()) return FailStart("signin-code", s);
  auto code =
      api::IssueSigninCode(**store, user, role, SystemClock::Default()->NowMillis(), ttl_ms);
  if (!code.ok()) return FailStart("signin-code", code.status());
  if (!url_base.empty() && url_base.back() == '/') url_base.pop_back();
  std::printf("%s\n", url_base.empty() ? code->c_str() : (url_base + "/#code=" + *code).c_str());
  return 0;
}

}  // namespace ingestd::cli
