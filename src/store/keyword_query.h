// The words of a keyword query (Store::KeywordSearch), shared by the backends so that any
// user text becomes a valid full-text query: only words reach the query language, each
// quoted, so FTS5 and tsquery syntax in the text is never interpreted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ingestd::keyword_query {

// At most this many distinct words of a query count; more only slow the search down.
inline constexpr size_t kMaxTerms = 128;
// Longer "words" (an encoded blob) are no words a chunk is searched by: dropped.
inline constexpr size_t kMaxTermBytes = 256;

// The distinct words of query, in order: runs of ASCII letters and digits and of valid
// non-ASCII UTF-8 characters; everything else (ASCII punctuation, spaces, controls, NUL,
// invalid UTF-8) separates. The tokenizers split non-ASCII punctuation further.
std::vector<std::string> Terms(std::string_view query);

// An FTS5 MATCH expression: each term a quoted string, joined by OR. Terms() never holds a
// double quote, so no escaping is needed. Empty when terms is.
std::string Fts5Expression(const std::vector<std::string>& terms);

}  // namespace ingestd::keyword_query
