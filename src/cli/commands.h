// The subcommands of the `ingestd` binary. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace ingestd::cli {

using Args = std::vector<std::string>;  // after the subcommand name

int RunServe(const Args& args);
int RunWorker(const Args& args);
int RunToken(const Args& args);
int RunSigninCode(const Args& args);
int RunCosts(const Args& args);
int RunReembed(const Args& args);
int RunServices(const Args& args);
int RunSearch(const Args& args);
int RunIngest(const Args& args);
int RunJobs(const Args& args);
int RunJob(const Args& args);

}  // namespace ingestd::cli
