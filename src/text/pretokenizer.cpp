#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/pretokenizer.h"

#include "text/ascii_pretokenizer.h"

#include <pcre2.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace ingestd {
namespace {

// \s spelled out as Unicode White_Space (what tiktoken's Rust regex uses): PCRE2's own \s
// would also take U+180E, which Unicode stopped calling a space in 6.3.
#define INGESTD_WS \
  R"(\t\n\x0B\f\r\x20\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})"
constexpr char kPattern[] =
    R"('(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|)"
    R"( ?[^)" INGESTD_WS R"(\p{L}\p{N}]+[\r\n]*|[)" INGESTD_WS R"(]*[\r\n]+|)"
    R"([)" INGESTD_WS R"(]+(?![^)" INGESTD_WS R"(])|[)" INGESTD_WS R"(]+)";
#undef INGESTD_WS

// JIT stack bounds: the pattern's repeats are single-character, so backtracking needs only a
// few frames whatever the input length; the ceiling is generous headroom.
constexpr size_t kJitStackStart = 32 * 1024;
constexpr size_t kJitStackMax = 4 * 1024 * 1024;

[[noreturn]] void Die(const char* what, int code) {
  PCRE2_UCHAR msg[256];
  pcre2_get_error_message(code, msg, sizeof msg);
  std::fprintf(stderr, "ingestd pretokenizer: %s: %s\n", what, reinterpret_cast<char*>(msg));
  std::abort();
}

// PCRE2 match state cannot be shared between threads: one set per thread.
struct MatchState {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;

  explicit MatchState(const pcre2_code* code) {
    data = pcre2_match_data_create_from_pattern(code, nullptr);
    context = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(kJitStackStart, kJitStackMax, nullptr);
    if (!data || !context || !stack) {
      std::fprintf(stderr, "ingestd pretokenizer: out of memory\n");
      std::abort();
    }
    pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~MatchState() {
    pcre2_jit_stack_free(stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
  MatchState(const MatchState&) = delete;
  MatchState& operator=(const MatchState&) = delete;
};

}  // namespace

const Pretokenizer& Pretokenizer::Get() {
  static const Pretokenizer* instance = new Pretokenizer();
  return *instance;
}

Pretokenizer::Pretokenizer() {
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  // Anchored: every character starts some alternative, so each piece starts where the last
  // ended; anchoring saves the search and makes a gap impossible.
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern), PCRE2_ZERO_TERMINATED,
                    PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &err, &err_offset, nullptr);
  if (!code) Die("compile", err);
  // Without JIT (a PCRE2 built without it, or a system that forbids executable memory) the
  // interpreter gives the same pieces, only slower.
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  code_ = code;
}

size_t Pretokenizer::NextPieceEnd(std::string_view text, size_t pos) const {
  size_t end = AsciiPieceEnd(text, pos);
  return end != kNeedRegex ? end : NextPieceEndRegex(text, pos);
}

size_t Pretokenizer::NextPieceEndRegex(std::string_view text, size_t pos) const {
  const auto* code = static_cast<const pcre2_code*>(code_);
  thread_local MatchState state(code);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  // Callers guarantee valid UTF-8 (pcre2_jit_match never checks; the interpreter is told not to).
  int rc = jit_ ? pcre2_jit_match(code, subject, text.size(), pos, 0, state.data, state.context)
                : pcre2_match(code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, state.data,
                              state.context);
  if (rc < 0) Die("match", rc);
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.data);
  if (ovector[1] <= pos) Die("empty match", PCRE2_ERROR_INTERNAL);
  return ovector[1];
}

}  // namespace ingestd
