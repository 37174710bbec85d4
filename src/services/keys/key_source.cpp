#include "services/keys/key_source.h"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace ingestd {
namespace {

constexpr size_t kMaxIdBytes = 64;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool ValidSecret(std::string_view secret) {
  if (secret.empty()) return false;
  for (char c : secret) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return false;
  }
  return true;
}

Status Invalid(const std::string& what, size_t entry, const std::string& why) {
  return Status::InvalidArgument("KEYS_INVALID",
                                 what + " entry " + std::to_string(entry) + ": " + why);
}

}  // namespace

Result<std::vector<ApiKey>> ParseKeyEntries(std::string_view text, char separator,
                                            const std::string& what) {
  std::vector<ApiKey> keys;
  for (size_t entry = 1;; ++entry) {
    const size_t end = text.find(separator);
    const std::string_view item = Trim(text.substr(0, end));
    if (!item.empty() && item.front() != '#') {
      const size_t colon = item.find(':');
      if (colon == std::string_view::npos) return Invalid(what, entry, "expected id:key");
      const std::string_view id = Trim(item.substr(0, colon));
      const std::string_view secret = Trim(item.substr(colon + 1));
      if (!ValidId(id)) {
        return Invalid(what, entry, "a key id is 1-64 characters of A-Z a-z 0-9 . _ -");
      }
      if (!ValidSecret(secret)) {
        return Invalid(what, entry, "the key is empty or holds whitespace");
      }
      keys.push_back({std::string(id), std::string(secret)});
    }
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return keys;
}

Result<std::vector<ApiKey>> LoadKeys(const KeySource& source) {
  std::vector<ApiKey> keys;
  if (!source.list.empty()) {
    auto listed = ParseKeyEntries(source.list, ',', source.list_var);
    if (!listed.ok()) return listed.status();
    keys = std::move(*listed);
  }
  if (!source.file.empty()) {
    std::ifstream in(source.file);
    std::stringstream text;
    if (in.is_open()) text << in.rdbuf();
    if (!in.is_open() || in.bad()) {
      return Status::Unavailable("KEYS_FILE_UNREADABLE",
                                 source.file_var + ": cannot read " + source.file);
    }
    auto filed = ParseKeyEntries(text.str(), '\n', source.file_var + " (" + source.file + ")");
    if (!filed.ok()) return filed.status();
    for (ApiKey& k : *filed) keys.push_back(std::move(k));
  }
  if (!source.single.empty()) {
    if (!ValidSecret(Trim(source.single))) {
      return Status::InvalidArgument("KEYS_INVALID",
                                     source.single_var + ": the key is empty or holds whitespace");
    }
    keys.push_back({"default", std::string(Trim(source.single))});
  }
  std::set<std::string> ids;
  for (const ApiKey& k : keys) {
    if (!ids.insert(k.id).second) {
      return Status::InvalidArgument("KEYS_INVALID", "key id '" + k.id + "' is configured twice (" +
                                                         source.list_var + ", " + source.file_var +
                                                         ", " + source.single_var + ")");
    }
  }
  return keys;
}

}  // namespace ingestd
