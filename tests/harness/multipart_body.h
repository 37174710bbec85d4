// Builds multipart/form-data request bodies (RFC 7578) in memory, for the one-shot upload
// endpoint. Used by the integration tests and the benchmarks.
#pragma once

#include <map>
#include <string>

namespace ingestd::itest {

struct Multipart {
  std::string content_type;  // multipart/form-data; boundary=…
  std::string body;
};

// One file part named field; more_fields adds plain text parts before it.
Multipart BuildMultipart(const std::string& field, const std::string& filename,
                         const std::string& bytes, const std::string& mime = "application/pdf",
                         const std::map<std::string, std::string>& more_fields = {});

}  // namespace ingestd::itest
