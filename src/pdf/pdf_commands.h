// `ingestd parse FILE [--pages]`: prints the markdown of a PDF made by the local parser, or
// only its page count, through the same sandboxed helper the service uses.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "pdf/helper_runner.h"

namespace ingestd::pdf {

// `args` are the words after "parse". Writes the result to `out`, problems to `err` as
// "CODE: message". Returns the exit code: 0 done, 1 the PDF could not be parsed, 2 usage.
int RunParseCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                    const HelperOptions& helper = {});

}  // namespace ingestd::pdf
