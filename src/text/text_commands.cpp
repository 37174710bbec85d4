#include "text/text_commands.h"

#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/ids.h"
#include "text/markdown_token_chunker.h"
#include "text/tokenizer.h"

namespace ingestd {
namespace {

constexpr int kOk = 0, kIoError = 1, kUsage = 2;
constexpr char kNilUuid[] = "00000000-0000-0000-0000-000000000000";

// Reads FILE, or `in` for "-"; nullopt (with a message on err) if unreadable.
std::optional<std::string> ReadInput(const std::string& path, std::istream& in, std::ostream& err) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(in), {});
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    err << "cannot read " << path << "\n";
    return std::nullopt;
  }
  std::string text(std::istreambuf_iterator<char>(file), {});
  if (file.bad()) {
    err << "error reading " << path << "\n";
    return std::nullopt;
  }
  return text;
}

std::optional<size_t> ParseCount(const std::string& s) {
  size_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

int RunTokenizeCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                       std::ostream& err) {
  std::optional<std::string> path;
  bool count_only = false;
  for (const std::string& a : args) {
    if (a == "--count") {
      count_only = true;
    } else if (!path && (a == "-" || !a.starts_with("-"))) {
      path = a;
    } else {
      err << "usage: ingestd tokenize FILE|- [--count]\n";
      return kUsage;
    }
  }
  if (!path) {
    err << "usage: ingestd tokenize FILE|- [--count]\n";
    return kUsage;
  }
  std::optional<std::string> text = ReadInput(*path, in, err);
  if (!text) return kIoError;
  const Tokenizer& tok = Tokenizer::Cl100kBase();
  if (count_only) {
    out << tok.Count(*text) << "\n";
    return kOk;
  }
  std::string line;
  for (int id : tok.Encode(*text)) {
    if (!line.empty()) line += ' ';
    line += std::to_string(id);
  }
  out << line << "\n";
  return kOk;
}

int RunChunkCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                    std::ostream& err) {
  constexpr char kUsageText[] =
      "usage: ingestd chunk FILE|- [--max-tokens N] [--overlap N] [--document-id UUID]\n";
  std::optional<std::string> path;
  MarkdownTokenChunkerOptions options;
  std::string document_id = kNilUuid;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if ((a == "--max-tokens" || a == "--overlap") && has_value) {
      std::optional<size_t> v = ParseCount(args[++i]);
      if (!v) {
        err << a << " needs a non-negative integer\n" << kUsageText;
        return kUsage;
      }
      (a == "--max-tokens" ? options.max_tokens : options.overlap_tokens) = *v;
    } else if (a == "--document-id" && has_value) {
      document_id = args[++i];
      if (!IsUuid(document_id)) {
        err << "--document-id must be a UUID\n";
        return kUsage;
      }
    } else if (!path && (a == "-" || !a.starts_with("-"))) {
      path = a;
    } else {
      err << kUsageText;
      return kUsage;
    }
  }
  if (!path) {
    err << kUsageText;
    return kUsage;
  }
  auto chunker = MarkdownTokenChunker::Create(options);
  if (!chunker.ok()) {
    err << chunker.status().message() << "\n";
    return kUsage;
  }
  std::optional<std::string> text = ReadInput(*path, in, err);
  if (!text) return kIoError;
  for (const Chunk& c : (*chunker)->Split(document_id, *text)) {
    nlohmann::json j = {{"id", c.id},
                        {"ord", c.ord},
                        {"token_count", c.token_count},
                        {"heading_path", c.heading_path},
                        {"text", c.text},
                        {"char_start", c.char_start},
                        {"char_end", c.char_end},
                        {"page_start", c.page_start},
                        {"page_end", c.page_end}};
    out << j.dump() << "\n";
  }
  return kOk;
}

}  // namespace ingestd
