// `ingestd token --user U [--role user|admin] [--ttl-s N]`: a bearer token signed with the
// same secret `ingestd serve` uses (INGESTD_JWT_SECRET or the one kept in the data dir).
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/config.h"
#include "core/clock.h"
#include "core/jwt.h"

namespace ingestd::cli {

int RunToken(const Args& args) {
  std::string user, role = "user";
  int64_t ttl_s = kSessionTokenTtlS;
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--user") {
      user = args[i + 1];
    } else if (args[i] == "--role") {
      role = args[i + 1];
    } else if (args[i] == "--ttl-s") {
      ttl_s = std::atoll(args[i + 1].c_str());
    } else {
      std::fprintf(stderr, "ingestd token: unknown option %s\n", args[i].c_str());
      return 2;
    }
  }
  if (user.empty() || args.size() % 2 != 0 || ttl_s <= 0 || (role != "user" && role != "admin")) {
    std::fprintf(stderr, "usage: ingestd token --user U [--role user|admin] [--ttl-s N]\n");
    return 2;
  }
  auto env = ProcessEnv();
  auto config = LoadConfig(env);
  Status s = config.ok() ? ResolveSecrets(env, &config.value()) : config.status();
  if (!s.ok()) {
    std::fprintf(stderr, "ingestd token: %s\n", s.ToString().c_str());
    return 1;
  }
  const SessionToken session = MintSessionToken(user, role, SystemClock::Default()->NowMillis(),
                                                ttl_s, config->api.jwt_secret);
  std::printf("%s\n", session.token.c_str());
  return 0;
}

}  // namespace ingestd::cli
