// GET /api/v1/export: the caller's chunk changes since a cursor as NDJSON, streamed (one
// store page per piece, so memory stays constant however much there is to send).
#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "api/chunk_vectors.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "api/views.h"
#include "core/clock.h"
#include "core/crypto.h"

namespace ingestd::api {
namespace {

// Changes read from the store per piece.
constexpr int kExportPage = 200;
// Cursors are opaque to clients: a versioned prefix and the last change sequence sent.
constexpr std::string_view kCursorPrefix = "ingestd-export-v1:";

std::string EncodeCursor(int64_t seq) {
  return Base64UrlEncode(std::string(kCursorPrefix) + std::to_string(seq));
}

std::optional<int64_t> DecodeCursor(std::string_view cursor) {
  std::optional<std::string> raw = Base64UrlDecode(cursor);
  if (!raw || !raw->starts_with(kCursorPrefix)) return std::nullopt;
  std::string_view digits = std::string_view(*raw).substr(kCursorPrefix.size());
  int64_t seq = -1;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc() || p != digits.data() + digits.size() || seq < 0) return std::nullopt;
  return seq;
}

// One chunk to send: its newest change in this page; view empty when it is deleted.
struct Pending {
  int64_t seq = 0;
  std::optional<ChunkView> view;
  bool deleted = false;
};

class ExportStream final : public BodyStream {
 public:
  ExportStream(Store* store, std::string user_id, int64_t after_seq, bool vectors,
               std::string model)
      : store_(store),
        user_id_(std::move(user_id)),
        after_(after_seq),
        vectors_(vectors),
        model_(std::move(model)) {}

  // One page: the chunk changes after the cursor and, with vectors, the chunks whose
  // vectors changed (a chunk is sent again with its new vectors), merged by seq up to the
  // point both feeds are complete, each chunk once.
  Result<bool> Next(std::string* out) override {
    auto changes = store_->ListChunkChanges(user_id_, after_, kExportPage);
    if (!changes.ok()) return changes.status();
    bool more = static_cast<int>(changes->size()) == kExportPage;
    int64_t horizon = more ? changes->back().seq : std::numeric_limits<int64_t>::max();
    std::vector<VectorChange> touched;
    if (vectors_) {
      auto v = store_->ListVectorChanges(after_, kExportPage);
      if (!v.ok()) return v.status();
      if (static_cast<int>(v->size()) == kExportPage) {
        more = true;
        horizon = std::min(horizon, v->back().seq);
      }
      touched = std::move(*v);
    }
    int64_t last = after_;
    std::map<std::string, Pending> pending;
    for (ChunkChange& c : *changes) {
      if (c.seq > horizon) break;
      last = std::max(last, c.seq);
      const bool deleted = !c.chunk.has_value();
      pending[c.chunk_id] = {c.seq, std::move(c.chunk), deleted};
    }
    std::vector<std::string> unseen;  // chunks whose vectors alone changed
    for (const VectorChange& v : touched) {
      if (v.seq > horizon) break;
      last = std::max(last, v.seq);
      if (v.user_id != user_id_ || (!model_.empty() && v.model != model_)) continue;
      auto [it, fresh] = pending.try_emplace(v.chunk_id);
      it->second.seq = std::max(it->second.seq, v.seq);
      if (fresh) unseen.push_back(v.chunk_id);
    }
    if (!unseen.empty()) {
      auto views = store_->GetChunkViews(user_id_, unseen);
      if (!views.ok()) return views.status();
      for (ChunkView& view : *views) pending[view.chunk.id].view = std::move(view);
    }
    std::vector<std::pair<const std::string*, Pending*>> lines;
    std::vector<std::string> live;
    for (auto& [id, p] : pending) {
      if (!p.deleted && !p.view) continue;  // gone: its deletion is its own change
      lines.emplace_back(&id, &p);
      if (!p.deleted) live.push_back(id);
    }
    std::sort(lines.begin(), lines.end(),
              [](const auto& a, const auto& b) { return a.second->seq < b.second->seq; });
    std::map<std::string, nlohmann::json> vectors;
    if (vectors_) {
      auto v = VectorsByChunk(*store_, user_id_, live, model_);
      if (!v.ok()) return v.status();
      vectors = std::move(*v);
    }
    for (const auto& [id, p] : lines) {
      nlohmann::json line;
      if (p->deleted) {
        line = {{"deleted", *id}};
      } else {
        line = ChunkJson(p->view->chunk);
        line["document_id"] = p->view->chunk.document_id;
        line["filename"] = p->view->filename;
        line["uploaded_at"] = FormatRfc3339(p->view->uploaded_at_ms);
        if (vectors_) {
          auto it = vectors.find(*id);
          line["vectors"] = it == vectors.end() ? nlohmann::json::array() : std::move(it->second);
        }
      }
      AppendLine(line, out);
    }
    after_ = more ? horizon : last;
    if (more) return true;
    AppendLine({{"cursor", EncodeCursor(after_)}}, out);
    return false;
  }

 private:
  static void AppendLine(const nlohmann::json& j, std::string* out) {
    out->append(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    out->push_back('\n');
  }

  Store* const store_;
  const std::string user_id_;
  int64_t after_;
  const bool vectors_;
  const std::string model_;
};

}  // namespace

ApiResponse HandleExport(ApiContext& ctx, const ApiRequest& req) {
  auto include = IncludeVectors(req);
  if (!include.ok()) return ErrorResponse(include.status(), req.correlation_id);
  int64_t after = 0;
  if (auto it = req.query.find("cursor"); it != req.query.end() && !it->second.empty()) {
    std::optional<int64_t> seq = DecodeCursor(it->second);
    if (!seq) {
      return ErrorResponse(
          Status::InvalidArgument("INVALID_FIELD", "cursor is not one this server's export issued"),
          req.correlation_id);
    }
    after = *seq;
  }
  std::string model;
  if (auto it = req.query.find("model"); it != req.query.end()) model = it->second;
  if (!model.empty() && !*include) {
    return ErrorResponse(Status::InvalidArgument("INVALID_FIELD", "model needs include=vectors"),
                         req.correlation_id);
  }
  ApiResponse r;
  r.content_type = "application/x-ndjson";
  r.stream =
      std::make_shared<ExportStream>(ctx.store, req.caller->sub, after, *include, std::move(model));
  return r;
}

}  // namespace ingestd::api
