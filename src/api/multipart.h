// A streaming multipart/form-data parser (RFC 7578): bytes go in as they arrive, part
// headers and part data come out through callbacks, and nothing is buffered beyond one
// delimiter's length — so a 100 MB file part streams straight to disk.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ingestd::api {

struct PartHeaders {
  std::string name;                     // form field name
  std::optional<std::string> filename;  // present for file fields
  std::string content_type;
};

class MultipartParser {
 public:
  struct Callbacks {
    std::function<Status(const PartHeaders&)> on_part_begin;
    std::function<Status(std::string_view)> on_part_data;
    std::function<Status()> on_part_end;
  };

  MultipartParser(std::string_view boundary, Callbacks callbacks);

  // Consumes the next bytes of the body. Errors are kInvalidArgument "INVALID_MULTIPART"
  // or whatever a callback returned; after an error the parser must not be fed again.
  Status Feed(std::string_view data);
  // Checks that the closing delimiter was seen.
  Status Finish() const;

  // The boundary parameter of a multipart/form-data Content-Type, if any.
  static std::optional<std::string> BoundaryOf(std::string_view content_type);

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kBody, kDone };
  Status ParseHeaders(std::string_view block, PartHeaders* out) const;

  std::string dash_boundary_;  // "--" boundary
  std::string delimiter_;      // CRLF "--" boundary
  Callbacks cb_;
  State state_ = State::kPreamble;
  std::string buf_;
};

}  // namespace ingestd::api
