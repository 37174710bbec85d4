#include "tests/fakes/fake_multipart.h"

namespace ingestd::fakes {

std::vector<FormPart> ParseMultipart(const std::string& content_type, const std::string& body) {
  std::vector<FormPart> parts;
  const size_t b = content_type.find("boundary=");
  if (b == std::string::npos) return parts;
  std::string boundary = content_type.substr(b + 9);
  if (!boundary.empty() && boundary.front() == '"')
    boundary = boundary.substr(1, boundary.size() - 2);
  const std::string delim = "--" + boundary;
  size_t pos = body.find(delim);
  while (pos != std::string::npos) {
    pos += delim.size();
    if (body.compare(pos, 2, "--") == 0) break;
    const size_t head_end = body.find("\r\n\r\n", pos);
    const size_t next = body.find("\r\n" + delim, pos);
    if (head_end == std::string::npos || next == std::string::npos) break;
    const std::string head = body.substr(pos, head_end - pos);
    FormPart part;
    auto attr = [&](const std::string& key) {
      const size_t k = head.find(key + "=\"");
      if (k == std::string::npos) return std::string();
      const size_t start = k + key.size() + 2;
      return head.substr(start, head.find('"', start) - start);
    };
    part.name = attr(" name");
    part.filename = attr("filename");
    part.data = body.substr(head_end + 4, next - head_end - 4);
    parts.push_back(std::move(part));
    pos = next + 2;
  }
  return parts;
}

}  // namespace ingestd::fakes
