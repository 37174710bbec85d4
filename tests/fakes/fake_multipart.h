// Just enough multipart/form-data parsing for the provider fakes (LlamaParse uploads, OpenAI
// files): the boundary from the content type, parts split on it, name and filename from each
// part's Content-Disposition.
#pragma once

#include <string>
#include <vector>

namespace ingestd::fakes {

struct FormPart {
  std::string name, filename, data;
};

// The parts of body in order; none when content_type names no boundary.
std::vector<FormPart> ParseMultipart(const std::string& content_type, const std::string& body);

}  // namespace ingestd::fakes
