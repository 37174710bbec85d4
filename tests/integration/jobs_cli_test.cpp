// `ingestd jobs` and `ingestd job ID` (issue 14 §4) against a running `ingestd serve`: the
// caller's jobs as a table, filtered by state; one job's timeline (stages with routes, costs
// estimated vs actual, events); a refusal printed with the server's code; and --watch, which
// off a terminal prints a line when a job appears or changes and on one (a pty made by
// util-linux `script`) redraws in place, until SIGINT. Waits are on the watcher's output,
// polled with a deadline.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <thread>

#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

// A shell command started in the background; its pid (after `exec`, the command's own).
pid_t StartInBackground(const std::string& command) {
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int ExitCodeOf(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// Polls path until pred holds on its content or timeout_ms passes; returns the last content.
std::string AwaitOutput(const std::string& path,
                        const std::function<bool(const std::string&)>& pred,
                        int timeout_ms = 30000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string seen;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path, std::ios::binary);
    seen.assign(std::istreambuf_iterator<char>(in), {});
    if (pred(seen)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return seen;
}

// Whether one line of text holds every fragment.
bool HasLineWith(const std::string& text, const std::vector<std::string>& fragments) {
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (std::all_of(fragments.begin(), fragments.end(),
                    [&](const std::string& f) { return line.find(f) != std::string::npos; })) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

class JobsCliTest : public ServerTest {
 protected:
  std::string Cli(const std::string& args, const std::string& token = "") const {
    return "'" + ServerProcess::BinaryPath() + "' " + args + " --server '" + server_->base_url() +
           "' --token '" + (token.empty() ? token_ : token) + "'";
  }

  // Uploads a PDF and waits for its job to complete; returns the job id.
  std::string IngestOne(const std::string& filename, const std::string& tag) {
    HttpResponse r = UploadOneShot(*client_, token_, filename, TaggedPdf(kRFaqPdf, tag));
    EXPECT_EQ(r.status, 202) << r.Describe();
    const std::string job_id = r.Json().value("job_id", "");
    WaitResult done = WaitForJob(*client_, token_, job_id, IsComplete);
    EXPECT_TRUE(done.met) << done.view.dump();
    return job_id;
  }
};

TEST_F(JobsCliTest, JobsTabulatesTheCallersJobsAndJobPrintsTheTimeline) {
  const std::string job_id = IngestOne("faq.pdf", "jobs-cli");

  const CommandResult jobs = RunCommand(Cli("jobs") + " 2>&1");
  ASSERT_EQ(jobs.exit_code, 0) << jobs.output;
  EXPECT_NE(jobs.output.find("JOB"), std::string::npos) << jobs.output;
  EXPECT_NE(jobs.output.find("LAST ERROR"), std::string::npos) << jobs.output;
  EXPECT_TRUE(HasLineWith(jobs.output, {job_id, " faq.pdf ", " done ", " complete ", " 100% "}))
      << jobs.output;

  const CommandResult none = RunCommand(Cli("jobs --state deadletter") + " 2>&1");
  EXPECT_EQ(none.exit_code, 0) << none.output;
  EXPECT_EQ(none.output, "no jobs\n");
  const CommandResult bob = RunCommand(Cli("jobs", MakeToken("bob")) + " 2>&1");
  EXPECT_EQ(bob.output, "no jobs\n");  // each caller sees only their own

  const CommandResult timeline = RunCommand(Cli("job " + job_id) + " 2>&1");
  ASSERT_EQ(timeline.exit_code, 0) << timeline.output;
  const std::string& t = timeline.output;
  EXPECT_EQ(t.rfind("job " + job_id + "\n", 0), 0u) << t;
  EXPECT_TRUE(HasLineWith(t, {"file", "faq.pdf (document "})) << t;
  EXPECT_TRUE(HasLineWith(t, {"state", "done · complete · 100%"})) << t;
  EXPECT_TRUE(HasLineWith(t, {"STAGE", "FALLBACKS"})) << t;
  // The mock services route both paid stages: mode · implementation, calls and fallbacks.
  EXPECT_TRUE(HasLineWith(t, {"parse ", "mock · "})) << t;
  EXPECT_TRUE(HasLineWith(t, {"embed ", "0 of "})) << t;
  EXPECT_TRUE(HasLineWith(t, {"COST", "ESTIMATED  ACTUAL"})) << t;
  EXPECT_TRUE(HasLineWith(t, {"total", "$0.000000"})) << t;
  EXPECT_TRUE(HasLineWith(t, {"embedding cache:", " chunks"})) << t;
  EXPECT_TRUE(HasLineWith(t, {"UPLOAD_ACCEPTED", "upload"})) << t;

  const CommandResult missing = RunCommand(Cli("job no-such-job") + " 2>&1");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("HTTP 404 JOB_NOT_FOUND"), std::string::npos) << missing.output;
  const CommandResult others = RunCommand(Cli("job " + job_id, MakeToken("bob")) + " 2>&1");
  EXPECT_NE(others.output.find("HTTP 404 JOB_NOT_FOUND"), std::string::npos) << others.output;
  EXPECT_EQ(RunCommand(Cli("jobs --state") + " 2>&1").exit_code, 2);
}

TEST_F(JobsCliTest, WatchPrintsChangesOffATerminalAndRedrawsOnOneUntilInterrupted) {
  const std::string out = server_->root_dir() + "/watch.out";
  const pid_t watcher = StartInBackground("exec " + Cli("jobs --watch") + " > '" + out + "' 2>&1");
  ASSERT_GT(watcher, 0);
  const std::string empty = AwaitOutput(out, [](const std::string& s) { return !s.empty(); });
  EXPECT_EQ(empty, "no jobs\n");

  const std::string job_id = IngestOne("watched.pdf", "jobs-watch");
  const std::string seen = AwaitOutput(out, [&](const std::string& s) {
    return HasLineWith(s, {job_id, " done ", " complete ", " 100% "});
  });
  EXPECT_TRUE(HasLineWith(seen, {job_id, " done ", " complete ", " 100% "})) << seen;
  EXPECT_EQ(seen.find("\033["), std::string::npos) << seen;  // no redrawing off a terminal
  ASSERT_EQ(kill(watcher, SIGINT), 0);
  EXPECT_EQ(ExitCodeOf(watcher), 0);

  // On a pseudo-terminal: the screen is cleared and the table drawn again each poll.
  const std::string tty_out = server_->root_dir() + "/watch-tty.out";
  const pid_t script = StartInBackground("exec script -qefc \"exec " + Cli("jobs --watch") +
                                         "\" /dev/null > '" + tty_out + "' 2>&1");
  const std::string drawn = AwaitOutput(tty_out, [&](const std::string& s) {
    const size_t first = s.find("\033[H\033[2J");
    return first != std::string::npos && s.find("\033[H\033[2J", first + 1) != std::string::npos &&
           HasLineWith(s, {job_id, " watched.pdf ", " done "});
  });
  EXPECT_TRUE(HasLineWith(drawn, {job_id, " watched.pdf ", " done "})) << drawn;
  EXPECT_NE(drawn.find("Ctrl-C to stop"), std::string::npos) << drawn;
  // script's child (the exec'd shell, now ingestd) gets the interrupt; script exits with
  // its code (-e).
  std::ifstream children("/proc/" + std::to_string(script) + "/task/" + std::to_string(script) +
                         "/children");
  pid_t ingestd = 0;
  children >> ingestd;
  ASSERT_GT(ingestd, 0);
  ASSERT_EQ(kill(ingestd, SIGINT), 0);
  EXPECT_EQ(ExitCodeOf(script), 0);
}

}  // namespace
}  // namespace ingestd::itest
