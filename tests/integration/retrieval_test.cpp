// Getting back out what was ingested (issue 13 §3), over sockets against `ingestd serve`:
// GET /api/v1/documents (the caller's documents, newest first, filters, paging) and
// GET /api/v1/documents/{id}/chunks?include=vectors (the stored vectors, base64) and
// GET /api/v1/export (NDJSON of the caller's chunk changes since a cursor, chunked).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>

#include "core/crypto.h"
#include "harness/db_inspector.h"
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

  // The chunk ids of a document, from GET …/chunks.
  std::set<std::string> ChunkIds(const std::string& doc_id) {
    HttpResponse r = client_->Get("/api/v1/documents/" + doc_id + "/chunks?limit=500", token_);
    EXPECT_EQ(r.status, 200) << r.Describe();
    std::set<std::string> out;
    for (const json& c : r.Json().value("chunks", json::array()))
      out.insert(c.value("chunk_id", ""));
    return out;
  }

  struct Export {
    std::vector<json> chunks;       // chunk lines
    std::set<std::string> deleted;  // {"deleted": id} lines
    std::string cursor;             // of the final line
  };
  // GET /api/v1/export?query; checks the framing (NDJSON, chunked, the cursor line last).
  Export RunExport(const std::string& query, const std::string& token = "") {
    HttpResponse r = client_->Get("/api/v1/export" + query, token.empty() ? token_ : token);
    Export out;
    EXPECT_EQ(r.status, 200) << query << ": " << r.Describe();
    EXPECT_EQ(r.Header("content-type"), "application/x-ndjson");
    EXPECT_EQ(r.Header("transfer-encoding"), "chunked");
    std::vector<json> lines;
    for (size_t at = 0; at < r.body.size();) {
      const size_t eol = r.body.find('\n', at);
      EXPECT_NE(eol, std::string::npos) << "an unterminated last line";
      if (eol == std::string::npos) break;
      lines.push_back(json::parse(r.body.substr(at, eol - at), nullptr, false));
      EXPECT_TRUE(lines.back().is_object()) << r.body.substr(at, eol - at);
      at = eol + 1;
    }
    EXPECT_FALSE(lines.empty());
    if (lines.empty()) return out;
    EXPECT_EQ(lines.back().size(), 1u);
    out.cursor = lines.back().value("cursor", "");
    EXPECT_FALSE(out.cursor.empty()) << lines.back().dump();
    lines.pop_back();
    for (json& l : lines) {
      EXPECT_FALSE(l.contains("cursor")) << "a cursor line before the last";
      if (l.contains("deleted")) {
        EXPECT_TRUE(out.deleted.insert(l.value("deleted", "")).second) << "deleted twice";
      } else {
        out.chunks.push_back(std::move(l));
      }
    }
    return out;
  }

  json ListDocuments(const std::string& query, const std::string& token = "") {
    HttpResponse r = client_->Get("/api/v1/documents" + query, token.empty() ? token_ : token);
    EXPECT_EQ(r.status, 200) << query << ": " << r.Describe();
    return r.Json().value("documents", json::array());
  }
};

// Standard base64 with padding (RFC 4648 §4) → bytes; nullopt for anything else.
std::optional<std::string> DecodeBase64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t group = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      const size_t v = kAlphabet.find(c);
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++pad;
      } else if (v == std::string::npos || pad > 0) {
        return std::nullopt;
      }
      group = group << 6 | static_cast<uint32_t>(c == '=' ? 0 : v);
    }
    for (int b = 0; b < 3 - pad; ++b) out.push_back(static_cast<char>(group >> (16 - 8 * b)));
  }
  return out;
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Little-endian IEEE-754 float32 values of bytes.
std::vector<float> LittleEndianFloats(const std::string& bytes) {
  std::vector<float> out;
  for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
    uint32_t bits = 0;
    for (int b = 3; b >= 0; --b) bits = bits << 8 | static_cast<unsigned char>(bytes[i + b]);
    out.push_back(std::bit_cast<float>(bits));
  }
  return out;
}

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

TEST_F(RetrievalTest, ChunksWithIncludeVectorsCarryTheStoredVectorsAsLittleEndianFloat32Base64) {
  const std::string doc = Ingest(token_, "R-FAQ.pdf", "v").value("document_id", "");
  const std::string chunks_url = "/api/v1/documents/" + doc + "/chunks?limit=500";
  DbInspector db(server_->db_path());
  ASSERT_TRUE(db.ok()) << db.error();
  // chunk id → (model, dims, bytes) as stored.
  std::map<std::string, std::tuple<std::string, int, std::string>> stored;
  for (const auto& row : db.Query(
           "SELECT chunk_id, model, dims, hex(data) FROM vectors WHERE document_id = ?1", {doc})) {
    stored[row[0]] = {row[1], std::stoi(row[2]), Unhex(row[3])};
  }
  ASSERT_FALSE(stored.empty());

  HttpResponse plain = client_->Get(chunks_url, token_);
  ASSERT_EQ(plain.status, 200) << plain.Describe();
  const json plain_chunks = plain.Json()["chunks"];
  for (const json& c : plain_chunks) EXPECT_FALSE(c.contains("vectors")) << c.dump();

  for (const std::string& page : {std::string(""), std::string("&offset=1&limit=2")}) {
    HttpResponse r = client_->Get(chunks_url + page + "&include=vectors", token_);
    ASSERT_EQ(r.status, 200) << r.Describe();
    const json chunks = r.Json()["chunks"];
    EXPECT_EQ(chunks.size(), page.empty() ? stored.size() : 2u);
    for (const json& c : chunks) {
      const auto it = stored.find(c.value("chunk_id", ""));
      ASSERT_NE(it, stored.end()) << c.dump().substr(0, 200);
      const auto& [model, dims, bytes] = it->second;
      ASSERT_EQ(c["vectors"].size(), 1u) << c["vectors"].dump().substr(0, 200);
      const json& v = c["vectors"][0];
      EXPECT_EQ(v["model"], model);
      EXPECT_EQ(v["dims"], dims);
      const std::optional<std::string> decoded = DecodeBase64(v.value("embedding_b64", ""));
      ASSERT_TRUE(decoded.has_value()) << v.dump().substr(0, 200);
      EXPECT_EQ(decoded->size(), size_t(dims) * 4);
      EXPECT_EQ(*decoded, bytes) << "chunk " << it->first;
      double norm = 0;
      for (float f : LittleEndianFloats(*decoded)) norm += double(f) * f;
      EXPECT_TRUE(std::isfinite(norm) && norm > 0) << norm;
    }
  }

  HttpResponse bad = client_->Get(chunks_url + "&include=vector", token_);
  EXPECT_EQ(bad.status, 400) << bad.Describe();
  EXPECT_EQ(bad.ErrorCode(), "INVALID_FIELD");
  EXPECT_EQ(client_->Get(chunks_url + "&include=vectors", MakeToken("bob")).status, 404);
}

std::set<std::string> ChunkIdsOf(const std::vector<json>& lines) {
  std::set<std::string> out;
  for (const json& l : lines) EXPECT_TRUE(out.insert(l.value("chunk_id", "")).second);
  return out;
}

TEST_F(RetrievalTest, ExportFromACursorIsExactlyTheDelta) {
  const std::string a = Ingest(token_, "a.pdf", "a").value("document_id", "");
  const std::string b = Ingest(token_, "b.pdf", "b", kRDataPdf).value("document_id", "");
  Ingest(MakeToken("bob"), "bob.pdf", "bob");  // never in alice's export
  const std::set<std::string> a_chunks = ChunkIds(a), b_chunks = ChunkIds(b);

  const Export first = RunExport("");
  std::set<std::string> want = a_chunks;
  want.insert(b_chunks.begin(), b_chunks.end());
  EXPECT_EQ(ChunkIdsOf(first.chunks), want);
  EXPECT_TRUE(first.deleted.empty());
  HttpResponse b_view = client_->Get("/api/v1/documents/" + b + "/chunks?limit=500", token_);
  const json b_listed = b_view.Json()["chunks"];
  for (const json& line : first.chunks) {
    EXPECT_FALSE(line.contains("vectors"));
    const std::string doc = line.value("document_id", "");
    ASSERT_TRUE(doc == a || doc == b) << line.dump().substr(0, 200);
    EXPECT_EQ(line["filename"], doc == a ? "a.pdf" : "b.pdf");
    EXPECT_TRUE(IsRfc3339Utc(line.value("uploaded_at", "")));
    if (doc != b) continue;
    // The same chunk as GET …/chunks shows it.
    const json& listed = b_listed[line.value("ord", 0)];
    for (const auto& [key, value] : listed.items()) EXPECT_EQ(line[key], value) << key;
  }
  const Export idle = RunExport("?cursor=" + first.cursor);
  EXPECT_TRUE(idle.chunks.empty() && idle.deleted.empty());
  EXPECT_EQ(idle.cursor, first.cursor);

  ASSERT_EQ(client_->Delete("/api/v1/documents/" + a, token_).status, 204);
  const std::string d = Ingest(token_, "d.pdf", "d").value("document_id", "");
  const Export delta = RunExport("?cursor=" + first.cursor);
  EXPECT_EQ(delta.deleted, a_chunks);
  EXPECT_EQ(ChunkIdsOf(delta.chunks), ChunkIds(d));
  for (const json& line : delta.chunks) EXPECT_EQ(line["document_id"], d);
  EXPECT_NE(delta.cursor, first.cursor);
  const Export after = RunExport("?cursor=" + delta.cursor);
  EXPECT_TRUE(after.chunks.empty() && after.deleted.empty());

  const Export theirs = RunExport("", MakeToken("bob"));
  EXPECT_TRUE(theirs.deleted.empty());
  for (const json& line : theirs.chunks) EXPECT_NE(line["document_id"], d);
  EXPECT_FALSE(theirs.chunks.empty());
}

TEST_F(RetrievalTest, ExportWithIncludeVectorsCarriesTheStoredVectorsOfTheModelAsked) {
  const std::string doc = Ingest(token_, "a.pdf", "a").value("document_id", "");
  DbInspector db(server_->db_path());
  ASSERT_TRUE(db.ok()) << db.error();
  std::map<std::string, std::string> stored;  // chunk id → vector bytes
  for (const auto& row :
       db.Query("SELECT chunk_id, hex(data) FROM vectors WHERE document_id = ?1", {doc})) {
    stored[row[0]] = Unhex(row[1]);
  }
  ASSERT_FALSE(stored.empty());
  for (const std::string& query :
       {std::string("?include=vectors"), std::string("?include=vectors&model=mock-embed-1536")}) {
    const Export e = RunExport(query);
    ASSERT_EQ(e.chunks.size(), stored.size()) << query;
    for (const json& line : e.chunks) {
      ASSERT_EQ(line["vectors"].size(), 1u) << query;
      const json& v = line["vectors"][0];
      EXPECT_EQ(v["model"], "mock-embed-1536");
      EXPECT_EQ(DecodeBase64(v.value("embedding_b64", "")), stored[line.value("chunk_id", "")]);
      EXPECT_EQ(v["dims"], stored[line.value("chunk_id", "")].size() / 4);
    }
  }
  const Export other = RunExport("?include=vectors&model=text-embedding-3-small");
  ASSERT_EQ(other.chunks.size(), stored.size());  // the chunks, without another model's vectors
  for (const json& line : other.chunks) EXPECT_EQ(line["vectors"], json::array());
}

TEST_F(RetrievalTest, ExportRefusesAMalformedCursorAndBadOptionsWithInvalidField) {
  const std::string issued = RunExport("").cursor;
  for (const std::string& query :
       {std::string("?cursor=garbage!"), "?cursor=" + issued + issued,
        "?cursor=" + Base64UrlEncode("ingestd-export-v1:-1"),
        "?cursor=" + Base64UrlEncode("ingestd-export-v2:5"),
        "?cursor=" + Base64UrlEncode("ingestd-export-v1:5x"), std::string("?include=vector"),
        std::string("?model=mock-embed-1536")}) {
    HttpResponse r = client_->Get("/api/v1/export" + query, token_);
    EXPECT_EQ(r.status, 400) << query << ": " << r.Describe();
    EXPECT_EQ(r.ErrorCode(), "INVALID_FIELD") << query << ": " << r.body;
    EXPECT_EQ(r.Json()["error"].value("correlation_id", ""), r.Header("x-correlation-id"));
  }
  EXPECT_EQ(client_->Get("/api/v1/export").status, 401);
}

}  // namespace
}  // namespace ingestd::itest
