// One fuzz target per file: INGESTD_FUZZ_TARGET(name) { ... uses data, size ... }.
// Built with INGESTD_FUZZ (clang, -fsanitize=fuzzer) it is the file's LLVMFuzzerTestOneInput;
// otherwise it registers with replay_main.cpp, which runs checked-in inputs through every
// target in the ordinary ASan test build (make test), so a found crash stays fixed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#ifdef INGESTD_LIBFUZZER
#define INGESTD_FUZZ_TARGET(name) \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#else
namespace ingestd::fuzz {
using TargetFn = int (*)(const uint8_t* data, size_t size);
bool Register(const char* name, TargetFn fn);
}  // namespace ingestd::fuzz
#define INGESTD_FUZZ_TARGET(name)                              \
  static int FuzzOne_##name(const uint8_t* data, size_t size); \
  [[maybe_unused]] static const bool kRegistered_##name =      \
      ::ingestd::fuzz::Register(#name, FuzzOne_##name);        \
  static int FuzzOne_##name(const uint8_t* data, size_t size)
#endif

namespace ingestd::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits input at the first `sep` byte: the part before and the rest (all of it if absent).
inline std::pair<std::string_view, std::string_view> SplitAt(std::string_view in, char sep) {
  const size_t at = in.find(sep);
  if (at == std::string_view::npos) return {{}, in};
  return {in.substr(0, at), in.substr(at + 1)};
}

}  // namespace ingestd::fuzz
