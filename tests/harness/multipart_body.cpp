#include "harness/multipart_body.h"

namespace ingestd::itest {

Multipart BuildMultipart(const std::string& field, const std::string& filename,
                         const std::string& bytes, const std::string& mime,
                         const std::map<std::string, std::string>& more_fields) {
  const std::string boundary = "----itest-boundary-7d9f0c2e5b";
  Multipart m;
  m.content_type = "multipart/form-data; boundary=" + boundary;
  for (auto& [name, value] : more_fields) {
    m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name +
              "\"\r\n\r\n" + value + "\r\n";
  }
  m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field +
            "\"; filename=\"" + filename + "\"\r\nContent-Type: " + mime + "\r\n\r\n";
  m.body += bytes;
  m.body += "\r\n--" + boundary + "--\r\n";
  return m;
}

}  // namespace ingestd::itest
