#include "text/markdown_token_chunker.h"

#include <algorithm>
#include <optional>

#include "core/ids.h"
#include "text/block_splitter.h"
#include "text/markdown_blocks.h"
#include "text/utf8.h"

namespace ingestd {
namespace {

constexpr size_t kMinMaxTokens = 8;

// A span that is never split further: a whole block, or a piece of one over the limit.
struct Unit {
  size_t begin = 0;
  size_t end = 0;
  size_t tokens = 0;
  int page = 0;
  bool heading = false;  // starts a new chunk unless the current one has no body yet
  bool body = true;      // false for headings and page markers
  size_t path = 0;       // index into the heading paths
};

bool IsAsciiBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// Packs units into chunks (the rules are in the header).
class Packer {
 public:
  Packer(const Tokenizer& tok, std::string_view md, std::string_view document_id,
         const std::vector<std::string>& paths, const MarkdownTokenChunkerOptions& options)
      : tok_(tok), md_(md), doc_id_(document_id), paths_(paths), opt_(options) {}

  std::vector<Chunk> Run(const std::vector<Unit>& units) {
    size_t i = 0;
    while (i < units.size()) {
      const Unit& u = units[i];
      if (count_ > 0) {
        const bool new_section = u.heading && has_body_;
        if (new_section || estimate_ + u.tokens > opt_.max_tokens) {
          i -= Emit(units, i, /*overlap_next=*/!new_section);
          continue;
        }
      } else {
        Start(u);
      }
      if (!has_body_) path_ = u.path;
      has_body_ = has_body_ || u.body;
      estimate_ += u.tokens;
      end_ = u.end;
      ++count_;
      ++i;
    }
    if (count_ > 0) Emit(units, i, false);
    return std::move(chunks_);
  }

 private:
  void Start(const Unit& u) {
    begin_ = overlap_begin_ = u.begin;
    estimate_ = 0;
    if (previous_ && u.tokens < opt_.max_tokens) {
      OverlapStart(std::min(opt_.overlap_tokens, opt_.max_tokens - u.tokens));
    }
  }

  // Moves overlap_begin_ back over up to want tokens of the previous chunk's own text,
  // stopping only at token boundaries that are also character boundaries.
  void OverlapStart(size_t want) {
    auto [prev_begin, prev_end] = *previous_;
    std::vector<int> ids = tok_.Encode(md_.substr(prev_begin, prev_end - prev_begin));
    size_t pos = prev_end;
    size_t taken = 0;
    for (size_t j = ids.size(); j > 0 && taken < want; --j) {
      pos -= tok_.TokenBytes(ids[j - 1]).size();
      ++taken;
      if (utf8::IsBoundary(md_, pos)) {
        overlap_begin_ = pos;
        estimate_ = taken;
      }
    }
  }

  // Emits the current chunk from units [next - count_, next) and returns how many of those
  // units it gave back (to be packed again) because the exact count exceeded the limit.
  size_t Emit(const std::vector<Unit>& units, size_t next, bool overlap_next) {
    size_t given_back = 0;
    size_t tokens = tok_.Count(md_.substr(overlap_begin_, end_ - overlap_begin_));
    while (tokens > opt_.max_tokens) {
      if (overlap_begin_ < begin_) {
        overlap_begin_ = begin_;
      } else {  // a lone unit always fits (its count is exact), so count_ > 1 here
        ++given_back;
        --count_;
        end_ = units[next - given_back - 1].end;
      }
      tokens = tok_.Count(md_.substr(overlap_begin_, end_ - overlap_begin_));
    }
    const Unit& first = units[next - given_back - count_];
    const Unit& last = units[next - given_back - 1];
    Chunk c;
    c.ord = static_cast<int>(chunks_.size());
    c.id = UuidV5(doc_id_, std::string(MarkdownTokenChunker::kName) + ":" + std::to_string(c.ord));
    c.document_id = std::string(doc_id_);
    c.text = std::string(md_.substr(overlap_begin_, end_ - overlap_begin_));
    c.heading_path = paths_[path_];
    c.token_count = static_cast<int>(tokens);
    c.char_start = static_cast<int64_t>(overlap_begin_);
    c.char_end = static_cast<int64_t>(end_);
    c.page_start = first.page;
    c.page_end = last.page;
    chunks_.push_back(std::move(c));
    previous_.reset();
    if (overlap_next && given_back == 0 && opt_.overlap_tokens > 0) {
      previous_.emplace(begin_, end_);
    }
    count_ = 0;
    has_body_ = false;
    return given_back;
  }

  const Tokenizer& tok_;
  std::string_view md_;
  std::string_view doc_id_;
  const std::vector<std::string>& paths_;
  const MarkdownTokenChunkerOptions& opt_;
  std::vector<Chunk> chunks_;
  // The chunk being built: units [.., ..) spanning [begin_, end_), overlap from overlap_begin_.
  size_t count_ = 0;
  size_t begin_ = 0, end_ = 0, overlap_begin_ = 0;
  size_t estimate_ = 0;  // tokens: sum of unit counts plus overlap (exact count is checked)
  bool has_body_ = false;
  size_t path_ = 0;
  std::optional<std::pair<size_t, size_t>> previous_;  // own text of the chunk to overlap
};

}  // namespace

Result<std::unique_ptr<MarkdownTokenChunker>> MarkdownTokenChunker::Create(
    MarkdownTokenChunkerOptions options) {
  if (options.max_tokens < kMinMaxTokens || options.overlap_tokens > options.max_tokens / 2) {
    return Status::InvalidArgument("INVALID_CHUNKER_OPTIONS",
                                   "max_tokens must be >= 8 and overlap_tokens <= max_tokens / 2");
  }
  return std::unique_ptr<MarkdownTokenChunker>(new MarkdownTokenChunker(options));
}

MarkdownTokenChunker::MarkdownTokenChunker()
    : MarkdownTokenChunker(MarkdownTokenChunkerOptions{}) {}

MarkdownTokenChunker::MarkdownTokenChunker(MarkdownTokenChunkerOptions options)
    : options_(options), tok_(Tokenizer::Cl100kBase()) {}

std::vector<Chunk> MarkdownTokenChunker::Split(std::string_view document_id,
                                               std::string_view markdown) const {
  std::string repaired;
  if (!utf8::IsValid(markdown)) {
    repaired = utf8::Sanitize(markdown);
    markdown = repaired;
  }
  if (IsAsciiBlank(markdown)) return {};

  std::vector<std::string> paths = {""};
  std::vector<std::pair<int, std::string_view>> headings;  // (level, title) stack
  std::vector<Unit> units;
  for (const MarkdownBlock& b : ScanMarkdownBlocks(markdown)) {
    const bool heading = b.kind == BlockKind::kHeading;
    const bool body = !heading && b.kind != BlockKind::kPageMarker;
    if (heading) {
      while (!headings.empty() && headings.back().first >= b.level) headings.pop_back();
      headings.emplace_back(b.level, b.title);
      std::string path;
      for (const auto& [level, title] : headings) {
        if (!path.empty()) path += " > ";
        path += title;
      }
      paths.push_back(std::move(path));
    }
    const size_t tokens = tok_.Count(markdown.substr(b.begin, b.end - b.begin));
    if (tokens <= options_.max_tokens) {
      units.push_back({b.begin, b.end, tokens, b.page, heading, body, paths.size() - 1});
      continue;
    }
    // Pieces leave room for the overlap that the chunks after the first will carry.
    const size_t piece_limit = options_.max_tokens - options_.overlap_tokens;
    for (const TextPiece& p : SplitToTokenLimit(tok_, markdown, b.begin, b.end, piece_limit)) {
      units.push_back({p.begin, p.end, p.tokens, b.page, heading && p.begin == b.begin, body,
                       paths.size() - 1});
    }
  }
  return Packer(tok_, markdown, document_id, paths, options_).Run(units);
}

}  // namespace ingestd
