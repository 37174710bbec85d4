#include "pdf/pdf_commands.h"

namespace ingestd::pdf {

int RunParseCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                    const HelperOptions& helper) {
  std::string file;
  bool pages_only = false;
  for (const std::string& a : args) {
    if (a == "--pages") {
      pages_only = true;
    } else if (file.empty() && !a.starts_with("--")) {
      file = a;
    } else {
      file.clear();
      break;
    }
  }
  if (file.empty()) {
    err << "usage: ingestd parse FILE [--pages]\n";
    return 2;
  }
  if (pages_only) {
    Result<int> pages = CountPages(file, PageCountLimits(), helper);
    if (!pages.ok()) {
      err << pages.status().ToString() << "\n";
      return 1;
    }
    out << *pages << "\n";
    return 0;
  }
  Result<HelperResult> r = RunHelper(HelperMode::kMarkdown, file, ParseLimits(), helper);
  if (!r.ok()) {
    err << r.status().ToString() << "\n";
    return 1;
  }
  for (const std::string& w : r->warnings) err << "warning: " << w << "\n";
  out << r->markdown;
  return 0;
}

}  // namespace ingestd::pdf
