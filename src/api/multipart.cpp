#include "api/multipart.h"

#include <algorithm>
#include <cctype>

namespace ingestd::api {
namespace {

constexpr size_t kMaxHeaderBlock = 16 * 1024;
constexpr size_t kMaxPreamble = 64 * 1024;

Status Invalid(std::string msg) {
  return Status::InvalidArgument("INVALID_MULTIPART", std::move(msg));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Finds parameter `key` in a header value like `form-data; name="a"; filename="b.pdf"`.
// Handles quoted strings with backslash escapes.
std::optional<std::string> Param(std::string_view value, std::string_view key) {
  size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string name = Lower(Trim(value.substr(i, eq - i)));
    size_t j = eq + 1;
    std::string v;
    if (j < value.size() && value[j] == '"') {
      for (++j; j < value.size() && value[j] != '"'; ++j) {
        if (value[j] == '\\' && j + 1 < value.size()) ++j;
        v.push_back(value[j]);
      }
      j = value.find(';', j);
    } else {
      size_t end = value.find(';', j);
      v = std::string(Trim(value.substr(j, end == std::string_view::npos ? end : end - j)));
      j = end;
    }
    if (name == key) return v;
    i = j;
  }
  return std::nullopt;
}

}  // namespace

MultipartParser::MultipartParser(std::string_view boundary, Callbacks callbacks)
    : dash_boundary_("--" + std::string(boundary)),
      delimiter_("\r\n--" + std::string(boundary)),
      cb_(std::move(callbacks)) {}

std::optional<std::string> MultipartParser::BoundaryOf(std::string_view content_type) {
  std::string_view base = Trim(content_type.substr(0, content_type.find(';')));
  if (Lower(base) != "multipart/form-data") return std::nullopt;
  auto b = Param(content_type, "boundary");
  if (!b || b->empty() || b->size() > 70) return std::nullopt;
  return b;
}

Status MultipartParser::ParseHeaders(std::string_view block, PartHeaders* out) const {
  bool has_disposition = false;
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Invalid("malformed part header");
    std::string name = Lower(Trim(line.substr(0, colon)));
    std::string_view value = Trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (Lower(Trim(value.substr(0, value.find(';')))) != "form-data") {
        return Invalid("part is not form-data");
      }
      has_disposition = true;
      out->name = Param(value, "name").value_or("");
      out->filename = Param(value, "filename");
    } else if (name == "content-type") {
      out->content_type = std::string(value);
    }
  }
  if (!has_disposition) return Invalid("part has no Content-Disposition");
  return Status();
}

Status MultipartParser::Feed(std::string_view data) {
  buf_.append(data);
  while (true) {
    switch (state_) {
      case State::kPreamble: {
        size_t pos = buf_.find(dash_boundary_);
        if (pos == std::string::npos) {
          if (buf_.size() > kMaxPreamble) return Invalid("no multipart boundary found");
          return Status();
        }
        buf_.erase(0, pos + dash_boundary_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kAfterDelimiter: {
        if (buf_.size() < 2) return Status();
        if (buf_.compare(0, 2, "--") == 0) {
          state_ = State::kDone;
          break;
        }
        if (buf_.compare(0, 2, "\r\n") != 0) return Invalid("malformed boundary line");
        buf_.erase(0, 2);
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        size_t pos = buf_.find("\r\n\r\n");
        if (pos == std::string::npos) {
          if (buf_.size() > kMaxHeaderBlock) return Invalid("part headers too large");
          return Status();
        }
        PartHeaders headers;
        if (Status s = ParseHeaders(std::string_view(buf_).substr(0, pos), &headers); !s.ok()) {
          return s;
        }
        buf_.erase(0, pos + 4);
        if (Status s = cb_.on_part_begin(headers); !s.ok()) return s;
        state_ = State::kBody;
        break;
      }
      case State::kBody: {
        size_t pos = buf_.find(delimiter_);
        if (pos == std::string::npos) {
          // Everything except a possible delimiter prefix at the end is part data.
          size_t keep = std::min(buf_.size(), delimiter_.size() - 1);
          size_t safe = buf_.size() - keep;
          if (safe > 0) {
            if (Status s = cb_.on_part_data(std::string_view(buf_).substr(0, safe)); !s.ok()) {
              return s;
            }
            buf_.erase(0, safe);
          }
          return Status();
        }
        if (pos > 0) {
          if (Status s = cb_.on_part_data(std::string_view(buf_).substr(0, pos)); !s.ok()) {
            return s;
          }
        }
        buf_.erase(0, pos + delimiter_.size());
        if (Status s = cb_.on_part_end(); !s.ok()) return s;
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kDone:
        buf_.clear();  // the epilogue is ignored
        return Status();
    }
  }
}

Status MultipartParser::Finish() const {
  if (state_ != State::kDone) return Invalid("multipart body ended before its closing boundary");
  return Status();
}

}  // namespace ingestd::api
