#include "api/upload_sink.h"

#include "api/validation.h"

namespace ingestd::api {

UploadSink::UploadSink(std::unique_ptr<BlobWriter> writer, int64_t max_bytes, Status overflow)
    : writer_(std::move(writer)), max_bytes_(max_bytes), overflow_(std::move(overflow)) {}

Status UploadSink::Append(std::string_view data) {
  if (size_ + static_cast<int64_t>(data.size()) > max_bytes_) return overflow_;
  if (head_.size() < kPdfMagic.size()) {
    head_.append(data.substr(0, kPdfMagic.size() - head_.size()));
    // Refuse a non-PDF as soon as its first bytes show it, before storing more.
    if (kPdfMagic.substr(0, head_.size()) != head_) return CheckPdfMagic(head_);
  }
  hash_.Update(data);
  size_ += static_cast<int64_t>(data.size());
  return writer_->Append(data);
}

Status UploadSink::Close() {
  if (size_ == 0) return Status::InvalidArgument("EMPTY_FILE", "the file is empty");
  if (Status s = CheckPdfMagic(head_); !s.ok()) return s;
  sha256_ = hash_.FinishHex();
  return Status();
}

}  // namespace ingestd::api
