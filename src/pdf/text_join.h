// Small text rules of the markdown writer: joining wrapped lines back into paragraphs
// (de-hyphenation), recognising list markers, and escaping text that markdown would misread.
#pragma once

#include <string>
#include <string_view>

namespace ingestd::pdf {

// Appends `line` to `paragraph`. A paragraph ending in a hyphen after a letter, followed by a
// line starting with a lower-case letter, is rejoined without the hyphen ("manipu-" +
// "lation"); a soft hyphen always is. Otherwise the two are joined by one space.
void JoinLine(std::string* paragraph, std::string_view line);

// Trims ASCII whitespace at both ends.
std::string_view Trim(std::string_view s);

// If `line` starts with a list marker, returns its length (including the following space)
// and sets `ordered`; else 0. Bullets: • ◦ ▪ ‣ · – - * and symbol-font bullets; ordered:
// "1." "1)" "a)" "(a)" "(iv)".
size_t ListMarkerLength(std::string_view line, bool* ordered);

// Makes body text inert as markdown structure: a leading '#', '>', '=' or fence is escaped,
// and "<!--" anywhere becomes "&lt;!--" so no text can forge a page marker.
std::string EscapeText(std::string_view text);

// EscapeText for a heading's text, and a heading "Page 12" keeps a no-break space after
// "Page": the chunker reads `# Page N` headings as page markers, and only ours may be.
std::string EscapeHeading(std::string_view text);

// The same for a line inside a code fence, where markdown escapes are shown literally: a
// leading fence (which would close ours) gets a backslash, and "<!--" becomes "<\!--".
std::string EscapeCode(std::string_view line);

}  // namespace ingestd::pdf
