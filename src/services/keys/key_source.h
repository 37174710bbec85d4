// Where a provider's API keys come from, and how their text is read.
//
// Three sources, all optional, combined: a list in one variable ("id1:key1,id2:key2"), a key
// file (one "id:key" per line; blank lines and lines starting with '#' are skipped), and the
// legacy single key, which gets the id "default". Ids are 1-64 characters of [A-Za-z0-9._-]
// and unique across the sources; a key is non-empty and holds no whitespace.
//
// Errors never quote the text they reject (it may be a secret): they name the variable or
// file and the entry number. Pure functions apart from reading the file; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "services/keys/key_ring.h"

namespace ingestd {

struct KeySource {
  std::string list_var;    // variable names, for messages: "OPENAI_API_KEYS"
  std::string file_var;    // "OPENAI_API_KEYS_FILE"
  std::string single_var;  // "OPENAI_API_KEY"
  std::string list;        // the values (empty: unset)
  std::string file;        // a path
  std::string single;

  bool configured() const { return !list.empty() || !file.empty() || !single.empty(); }
};

// Entries of text separated by `separator`. `what` names the source in errors.
// kInvalidArgument "KEYS_INVALID".
Result<std::vector<ApiKey>> ParseKeyEntries(std::string_view text, char separator,
                                            const std::string& what);

// Every key of the source, in the order list, file, single. kInvalidArgument "KEYS_INVALID"
// (malformed entry, duplicate id), kUnavailable "KEYS_FILE_UNREADABLE" (file missing or
// unreadable; retryable: a reload may find it). An unconfigured source yields no keys.
Result<std::vector<ApiKey>> LoadKeys(const KeySource& source);

}  // namespace ingestd
