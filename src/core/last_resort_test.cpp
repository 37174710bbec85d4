#include "core/last_resort.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"

namespace ingestd {
namespace {

// Captures the JSON log lines written while it lives.
class LogCapture {
 public:
  LogCapture() {
    EXPECT_EQ(pipe(fds_), 0);
    log::SetFd(fds_[1]);
  }
  ~LogCapture() {
    log::SetFd(2);
    close(fds_[0]);
    close(fds_[1]);
  }
  std::vector<nlohmann::json> Lines() {
    log::SetFd(2);
    close(fds_[1]);
    fds_[1] = -1;
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = read(fds_[0], buf, sizeof buf)) > 0;) text.append(buf, size_t(n));
    std::vector<nlohmann::json> out;
    for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) {
      out.push_back(nlohmann::json::parse(text.substr(at, nl - at)));
    }
    return out;
  }

 private:
  int fds_[2] = {-1, -1};
};

TEST(LastResortTest, ABodyThatReturnsIsNotLogged) {
  LogCapture capture;
  int runs = 0;
  EXPECT_EQ(RunGuarded("step", [&] { ++runs; }), std::nullopt);
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(capture.Lines().empty());
}

TEST(LastResortTest, AnEscapedExceptionIsLoggedWithWhereAndWhatAndHandedBack) {
  LogCapture capture;
  auto error = RunGuarded("audit writer", [] { throw std::runtime_error("disk on fire"); },
                          {{"job_id", "j1"}});
  EXPECT_EQ(error, "disk on fire");
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["level"], "error");
  EXPECT_EQ(lines[0]["msg"], "last-resort catch");
  EXPECT_EQ(lines[0]["where"], "audit writer");
  EXPECT_EQ(lines[0]["error"], "disk on fire");
  EXPECT_EQ(lines[0]["job_id"], "j1");
}

TEST(LastResortTest, ANonStandardExceptionIsCaughtToo) {
  LogCapture capture;
  EXPECT_EQ(RunGuarded("step", [] { throw 42; }), "unknown exception");
  EXPECT_EQ(capture.Lines().at(0)["error"], "unknown exception");
}

// The use it is for: a thread's loop whose step throws goes on with its next round, and
// the thread ends when its loop does (no std::terminate).
TEST(LastResortTest, AThreadLoopSurvivesAThrowingStep) {
  LogCapture capture;
  std::vector<int> done;
  std::thread t([&] {
    for (int round = 0; round < 4; ++round) {
      RunGuarded("poller", [&] {
        if (round % 2 == 0) throw std::logic_error("round " + std::to_string(round));
        done.push_back(round);
      });
    }
  });
  t.join();
  EXPECT_EQ(done, (std::vector<int>{1, 3}));
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["error"], "round 2");
}

}  // namespace
}  // namespace ingestd
