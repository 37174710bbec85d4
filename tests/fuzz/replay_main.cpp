// fuzz_replay TARGET PATH...: runs every file under each PATH (a file or a directory, walked
// recursively; a missing one is skipped) once through TARGET. A crash is the sanitizers' or an
// uncaught exception's abort, so the CTest fails and names the input (printed first).
#include <cstdio>
#include <map>
#include <string>

#include "fuzz_target.h"
#include "input_files.h"

namespace ingestd::fuzz {

static std::map<std::string, TargetFn>& Targets() {
  static std::map<std::string, TargetFn> targets;
  return targets;
}

bool Register(const char* name, TargetFn fn) {
  Targets()[name] = fn;
  return true;
}

}  // namespace ingestd::fuzz

int main(int argc, char** argv) {
  auto& targets = ingestd::fuzz::Targets();
  if (argc < 2 || targets.count(argv[1]) == 0) {
    std::fprintf(stderr, "usage: %s TARGET PATH...\ntargets:", argv[0]);
    for (const auto& [name, fn] : targets) std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  const auto fn = targets[argv[1]];
  const auto files = ingestd::fuzz::InputFiles({argv + 2, argv + argc});
  for (const auto& f : files) {
    std::fprintf(stderr, "%s\n", f.c_str());
    const std::string bytes = ingestd::fuzz::ReadInput(f);
    fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("%s: %zu inputs replayed\n", argv[1], files.size());
  return files.empty() ? 1 : 0;  // an empty corpus means the paths are wrong
}
