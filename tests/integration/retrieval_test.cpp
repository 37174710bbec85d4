// Getting back out what was ingested (issue 13 §3), over sockets against `ingestd serve`:
// GET /api/v1/documents (the caller's documents, newest first, filters, paging).
#include <gtest/gtest.h>

#include <set>

#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

class RetrievalTest : public ServerTest {
 protected:
  // Uploads a distinct copy of pdf as filename for token and waits until its job completes;
  // returns the job view.
  json Ingest(const std::string& token, const std::string& filename, const std::string& tag,
              const std::string& pdf = kRFaqPdf) {
    HttpResponse r = UploadOneShot(*client_, token, filename, TaggedPdf(pdf, tag));
    EXPECT_EQ(r.status, 202) << r.Describe();
    WaitResult done = WaitForJob(*client_, token, r.Json().value("job_id", ""), IsComplete);
    EXPECT_TRUE(done.met) << done.view.dump();
    return done.view;
  }

  json ListDocuments(const std::string& query, const std::string& token = "") {
    HttpResponse r = client_->Get("/api/v1/documents" + query, token.empty() ? token_ : token);
    EXPECT_EQ(r.status, 200) << query << ": " << r.Describe();
    return r.Json().value("documents", json::array());
  }
};

std::vector<std::string> DocumentIds(const json& documents) {
  std::vector<std::string> out;
  for (const json& d : documents) out.push_back(d.value("document_id", ""));
  return out;
}

TEST_F(RetrievalTest, ListDocumentsShowsTheCallersNewestFirstWithJobPagesChunksAndModels) {
  const json a = Ingest(token_, "R-FAQ.pdf", "a");
  const json b = Ingest(token_, "notes.pdf", "b", kRDataPdf);
  const std::string bob = MakeToken("bob");
  const json theirs = Ingest(bob, "R-FAQ.pdf", "bob");

  const json docs = ListDocuments("");
  ASSERT_EQ(docs.size(), 2u) << docs.dump();
  EXPECT_EQ(std::set<std::string>({docs[0]["document_id"], docs[1]["document_id"]}),
            std::set<std::string>({a["document_id"], b["document_id"]}));
  EXPECT_GE(docs[0].value("created_at", ""), docs[1].value("created_at", ""));  // RFC 3339, UTC
  for (const json& d : docs) {
    EXPECT_EQ(d["status"], "complete") << d.dump();
    EXPECT_EQ(d["state"], "done") << d.dump();
    EXPECT_GT(d.value("page_count", 0), 0) << d.dump();
    EXPECT_GT(d.value("chunk_count", 0), 0) << d.dump();
    EXPECT_EQ(d["vector_count"], d["chunk_count"]) << d.dump();
    EXPECT_EQ(d["vector_models"], json::array({"mock-embed-1536"})) << d.dump();
    // The same document as GET /api/v1/documents/{id} shows it.
    HttpResponse one = client_->Get("/api/v1/documents/" + d.value("document_id", ""), token_);
    ASSERT_EQ(one.status, 200) << one.Describe();
    const json single = one.Json();
    for (const auto& [key, value] : single.items()) EXPECT_EQ(d[key], value) << key;
  }
  const json job_of_a = docs[0]["document_id"] == a["document_id"] ? docs[0] : docs[1];
  EXPECT_EQ(job_of_a["job_id"], a["job_id"]);

  EXPECT_EQ(DocumentIds(ListDocuments("", bob)),
            std::vector<std::string>({theirs.value("document_id", "")}));
}

TEST_F(RetrievalTest, ListDocumentsFiltersByStatusAndFilenamePrefixAndPages) {
  const json a = Ingest(token_, "R-FAQ.pdf", "a");
  const json b = Ingest(token_, "R-data.pdf", "b");
  const json c = Ingest(token_, "other.pdf", "c");
  const std::vector<std::string> all = DocumentIds(ListDocuments(""));
  ASSERT_EQ(all.size(), 3u);

  EXPECT_EQ(DocumentIds(ListDocuments("?limit=2")), std::vector(all.begin(), all.begin() + 2));
  EXPECT_EQ(DocumentIds(ListDocuments("?limit=2&offset=2")), std::vector({all[2]}));
  EXPECT_TRUE(ListDocuments("?offset=3").empty());

  std::vector<std::string> r_docs = DocumentIds(ListDocuments("?filename_prefix=R-"));
  EXPECT_EQ(std::set(r_docs.begin(), r_docs.end()),
            std::set<std::string>({a["document_id"], b["document_id"]}));
  EXPECT_EQ(DocumentIds(ListDocuments("?filename_prefix=R-d")),
            std::vector<std::string>({b["document_id"]}));
  EXPECT_TRUE(ListDocuments("?filename_prefix=r-").empty());   // case-sensitive
  EXPECT_TRUE(ListDocuments("?filename_prefix=%25").empty());  // '%' is no wildcard

  EXPECT_EQ(ListDocuments("?status=complete").size(), 3u);
  EXPECT_EQ(ListDocuments("?status=complete&state=done&filename_prefix=other").size(), 1u);
  EXPECT_TRUE(ListDocuments("?status=uploaded").empty());
  EXPECT_TRUE(ListDocuments("?state=deadletter").empty());
}

TEST_F(RetrievalTest, ListDocumentsRefusesBadParametersWithInvalidField) {
  for (const char* query : {"?limit=0", "?limit=501", "?limit=abc", "?limit=1.5", "?offset=-1",
                            "?offset=x", "?status=finished", "?state=asleep"}) {
    HttpResponse r = client_->Get(std::string("/api/v1/documents") + query, token_);
    EXPECT_EQ(r.status, 400) << query << ": " << r.Describe();
    EXPECT_EQ(r.ErrorCode(), "INVALID_FIELD") << query << ": " << r.body;
    EXPECT_EQ(r.Json()["error"].value("correlation_id", ""), r.Header("x-correlation-id"));
  }
  EXPECT_EQ(client_->Get("/api/v1/documents").status, 401);
}

}  // namespace
}  // namespace ingestd::itest
