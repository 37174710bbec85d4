#include "text/cl100k_data.h"

// INGESTD_CL100K_TIKTOKEN is the absolute path of the generated rank file (set by CMake, which
// also makes this object depend on it). .incbin copies its bytes into read-only data.
#ifndef INGESTD_CL100K_TIKTOKEN
#error "INGESTD_CL100K_TIKTOKEN must name the generated cl100k_base.tiktoken"
#endif

__asm__(
    ".pushsection .rodata\n"
    ".balign 16\n"
    ".local ingestd_cl100k_begin\n"
    "ingestd_cl100k_begin:\n"
    ".incbin \"" INGESTD_CL100K_TIKTOKEN
    "\"\n"
    ".local ingestd_cl100k_end\n"
    "ingestd_cl100k_end:\n"
    ".popsection\n");

extern "C" const char ingestd_cl100k_begin[];
extern "C" const char ingestd_cl100k_end[];

namespace ingestd {

std::string_view Cl100kTiktokenFile() {
  return std::string_view(ingestd_cl100k_begin,
                          static_cast<size_t>(ingestd_cl100k_end - ingestd_cl100k_begin));
}

}  // namespace ingestd
