#include <gtest/gtest.h>

#include <string>

#include "blob/blob_store.h"
#include "core/blob_names.h"

namespace ingestd {

TEST(IsValidBlobKey, AcceptsKeysMadeFromIds) {
  EXPECT_TRUE(IsValidBlobKey("documents/3f2a9c1e-0000-4000-8000-000000000000.pdf"));
  EXPECT_TRUE(IsValidBlobKey("markdown/abc.md"));
  EXPECT_TRUE(IsValidBlobKey("a"));
  EXPECT_TRUE(IsValidBlobKey("a/b/c_d-e.f"));
  EXPECT_TRUE(IsValidBlobKey(DocumentBlobKey("x")));
  EXPECT_TRUE(IsValidBlobKey(MarkdownBlobKey("x")));
}

TEST(IsValidBlobKey, RejectsTraversalAbsoluteAndEmptySegments) {
  for (const char* key : {"", "/etc/passwd", "../x", "a/../b", "a/..", "..", ".", "a/./b", "a//b",
                          "a/", "/a", "a\\b", "a b", "a\nb", "~/x", "a:b", "%2e%2e/x"}) {
    EXPECT_FALSE(IsValidBlobKey(key)) << key;
  }
  EXPECT_FALSE(IsValidBlobKey(std::string("a\0b", 3)));
}

TEST(IsValidBlobKey, RejectsTempMarkerAndOverlongKeys) {
  EXPECT_FALSE(IsValidBlobKey("documents/x.pdf.tmp.0123"));
  EXPECT_TRUE(IsValidBlobKey("documents/x.tmp"));
  EXPECT_TRUE(IsValidBlobKey(std::string(kMaxBlobKeyLength, 'a')));
  EXPECT_FALSE(IsValidBlobKey(std::string(kMaxBlobKeyLength + 1, 'a')));
}

TEST(BlobKeys, AreDerivedFromTheDocumentId) {
  EXPECT_EQ(DocumentBlobKey("d1"), "documents/d1.pdf");
  EXPECT_EQ(MarkdownBlobKey("d1"), "markdown/d1.md");
}

}  // namespace ingestd
