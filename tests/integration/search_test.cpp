// POST /api/v1/search (issue 13 §2), over sockets against `ingestd serve` parsing real R
// manuals with the local parser: only the caller's chunks; keyword, vector (local embedder)
// and hybrid (RRF k = 60) ranking; filters; spaces never mix (a document embedded by another
// model is found by keyword only and counted in vector_pending_documents); the query embed
// is a paid call with the request's correlation id in the audit log (fake OpenAI); an
// exhausted budget in REAL mode is the ledger's error; bad input; the per-user rate limit;
// GET /api/v1/search/index; `ingestd search` from the shell.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <set>
#include <thread>

#include "core/jwt.h"
#include "fakes/fake_openai_server.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

using fakes::FakeOpenAiServer;

std::string AdminToken() {
  return SignJwt({.sub = "root", .role = "admin", .exp = std::time(nullptr) + 3600},
                 kTestJwtSecret);
}

// The lower-cased ASCII words of text (what the keyword index splits on).
std::set<std::string> Words(const std::string& text) {
  std::set<std::string> out;
  std::string word;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!word.empty()) {
      out.insert(word);
      word.clear();
    } else {
      word.clear();
    }
  }
  return out;
}

class SearchTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "local"}, {"EMBED_MODE", "local"}};
  }

  // Uploads a distinct copy of pdf and waits until its job completes; returns the document id.
  std::string Ingest(const std::string& token, const std::string& filename, const std::string& tag,
                     const std::string& pdf = kRFaqPdf) {
    HttpResponse r = UploadOneShot(*client_, token, filename, TaggedPdf(pdf, tag));
    EXPECT_EQ(r.status, 202) << r.Describe();
    WaitResult done = WaitForJob(*client_, token, r.Json().value("job_id", ""), IsComplete);
    EXPECT_TRUE(done.met) << done.view.dump();
    return r.Json().value("document_id", "");
  }

  json Chunks(const std::string& doc_id, const std::string& token) {
    HttpResponse r = client_->Get("/api/v1/documents/" + doc_id + "/chunks?limit=500", token);
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.Json().value("chunks", json::array());
  }

  HttpResponse Search(const json& body, const std::string& token = "",
                      const std::string& correlation_id = "") {
    HttpRequest req{.method = "POST",
                    .target = "/api/v1/search",
                    .headers = {{"Content-Type", "application/json"}},
                    .bearer = token.empty() ? token_ : token,
                    .body = body.dump()};
    if (!correlation_id.empty()) req.headers.emplace_back("X-Correlation-ID", correlation_id);
    return client_->Send(req);
  }

  // The answer of a search that must succeed.
  json Answer(const json& body, const std::string& token = "") {
    HttpResponse r = Search(body, token);
    EXPECT_EQ(r.status, 200) << body.dump() << ": " << r.Describe();
    json answer = r.Json();
    EXPECT_TRUE(answer.is_object() && answer["results"].is_array()) << r.body;
    return answer;
  }

  static std::set<std::string> DocumentsOf(const json& answer) {
    std::set<std::string> out;
    for (const json& hit : answer["results"]) out.insert(hit.value("document_id", ""));
    return out;
  }

  // A word of document `in`'s chunks that no chunk of `not_in` holds (longest first, so not
  // a stop word or a number).
  std::string WordOnlyIn(const json& in, const json& not_in) {
    std::set<std::string> other;
    for (const json& c : not_in) other.merge(Words(c.value("text", "")));
    std::string best;
    for (const json& c : in) {
      for (const std::string& w : Words(c.value("text", ""))) {
        const bool letters =
            std::all_of(w.begin(), w.end(), [](char ch) { return std::isalpha(ch); });
        if (letters && !other.contains(w) && w.size() > best.size()) best = w;
      }
    }
    return best;
  }
};

TEST_F(SearchTest, TwoUsersWithTheSameTextEachFindOnlyTheirOwnChunks) {
  const std::string bob = MakeToken("bob");
  const std::string mine = Ingest(token_, "R-FAQ.pdf", "same");
  const std::string his = Ingest(bob, "R-FAQ.pdf", "same");
  ASSERT_NE(mine, his);
  const json chunks = Chunks(mine, token_);
  ASSERT_FALSE(chunks.empty());
  const std::string text = chunks[chunks.size() / 2].value("text", "");
  for (const char* mode : {"hybrid", "vector", "keyword"}) {
    const json a = Answer({{"query", text}, {"top_k", 100}, {"mode", mode}});
    const json b = Answer({{"query", text}, {"top_k", 100}, {"mode", mode}}, bob);
    EXPECT_EQ(DocumentsOf(a), std::set<std::string>{mine}) << mode;
    EXPECT_EQ(DocumentsOf(b), std::set<std::string>{his}) << mode;
  }
  // Another user's document id in the filter finds nothing.
  EXPECT_TRUE(Answer({{"query", text}, {"filter", {{"document_ids", {his}}}}})["results"].empty());
}

TEST_F(SearchTest, KeywordFindsAWordOnlyOneDocumentHas) {
  const std::string faq = Ingest(token_, "R-FAQ.pdf", "kw-a");
  const std::string data = Ingest(token_, "R-data.pdf", "kw-b", kRDataPdf);
  const std::string word = WordOnlyIn(Chunks(data, token_), Chunks(faq, token_));
  ASSERT_FALSE(word.empty());
  const json answer = Answer({{"query", word}, {"mode", "keyword"}, {"top_k", 100}});
  ASSERT_FALSE(answer["results"].empty()) << word;
  EXPECT_EQ(DocumentsOf(answer), std::set<std::string>{data}) << word;
  EXPECT_EQ(answer["mode"], "keyword");
  EXPECT_TRUE(answer["model"].is_null());
  EXPECT_EQ(answer["query"]["cost_nanos"], 0);
  int rank = 0;
  for (const json& hit : answer["results"]) {
    EXPECT_EQ(hit["rank"]["keyword"], ++rank);
    EXPECT_TRUE(hit["rank"]["vector"].is_null());
    EXPECT_TRUE(hit["scores"]["vector"].is_null());
    EXPECT_EQ(hit["score"], hit["scores"]["keyword"]);
    EXPECT_NE(Words(hit.value("text", "")).count(word), 0u) << hit.dump();
    EXPECT_EQ(hit["filename"], "R-data.pdf");
  }
}

TEST_F(SearchTest, VectorModeRanksTheMostSimilarChunkFirstAndHybridFusesBothSides) {
  const std::string doc = Ingest(token_, "R-FAQ.pdf", "vec");
  const json chunks = Chunks(doc, token_);
  ASSERT_GT(chunks.size(), 3u);
  const json& target = chunks[chunks.size() / 2];
  const json vector = Answer({{"query", target["text"]}, {"mode", "vector"}, {"top_k", 5}});
  ASSERT_EQ(vector["results"].size(), 5u);
  const json& first = vector["results"][0];
  EXPECT_EQ(first["chunk_id"], target["chunk_id"]);
  EXPECT_NEAR(first["score"].get<double>(), 1.0, 1e-4);  // the same text: cosine 1
  EXPECT_EQ(first["rank"]["vector"], 1);
  EXPECT_TRUE(first["rank"]["keyword"].is_null());
  EXPECT_EQ(first["text"], target["text"]);
  EXPECT_EQ(first["ord"], target["ord"]);
  EXPECT_EQ(first["heading_path"], target["heading_path"]);
  EXPECT_EQ(first["page_start"], target["page_start"]);
  EXPECT_EQ(first["document_id"], doc);
  EXPECT_EQ(vector["mode"], "vector");
  EXPECT_TRUE(vector["model"].get<std::string>().starts_with("ingestd-hash-v1@")) << vector.dump();
  EXPECT_GT(vector["query"]["tokens"].get<int>(), 0);
  EXPECT_EQ(vector["vector_pending_documents"], 0);
  for (size_t i = 1; i < vector["results"].size(); ++i) {
    EXPECT_GE(vector["results"][i - 1]["score"].get<double>(),
              vector["results"][i]["score"].get<double>());
  }

  const json hybrid = Answer({{"query", target["text"]}, {"top_k", 3}});
  ASSERT_EQ(hybrid["results"].size(), 3u);
  EXPECT_EQ(hybrid["mode"], "hybrid");
  const json& best = hybrid["results"][0];
  EXPECT_EQ(best["chunk_id"], target["chunk_id"]);
  if (best["rank"]["keyword"] == 1) {
    EXPECT_DOUBLE_EQ(best["score"].get<double>(), 2.0 / 61);  // first on both sides
  }
  for (const json& hit : hybrid["results"]) {
    double fused = 0;
    for (const char* side : {"vector", "keyword"}) {
      if (!hit["rank"][side].is_null()) fused += 1.0 / (60 + hit["rank"][side].get<int>());
    }
    EXPECT_DOUBLE_EQ(hit["score"].get<double>(), fused) << hit.dump();
  }
}

TEST_F(SearchTest, FiltersRestrictBothSides) {
  const std::string faq = Ingest(token_, "R-FAQ.pdf", "f-a");
  const std::string data = Ingest(token_, "notes-R-data.pdf", "f-b", kRDataPdf);
  const std::string query = "install packages from a repository";
  EXPECT_EQ(DocumentsOf(Answer({{"query", query}, {"top_k", 100}})),
            (std::set<std::string>{faq, data}));
  for (const char* mode : {"hybrid", "vector", "keyword"}) {
    EXPECT_EQ(DocumentsOf(Answer({{"query", query},
                                  {"mode", mode},
                                  {"top_k", 100},
                                  {"filter", {{"document_ids", {data}}}}})),
              std::set<std::string>{data})
        << mode;
    EXPECT_EQ(DocumentsOf(Answer({{"query", query},
                                  {"mode", mode},
                                  {"top_k", 100},
                                  {"filter", {{"filename_prefix", "R-"}}}})),
              std::set<std::string>{faq})
        << mode;
    // Upload times: RFC 3339 or milliseconds; every document was uploaded before now.
    EXPECT_TRUE(Answer({{"query", query},
                        {"mode", mode},
                        {"filter", {{"uploaded_after", "2999-01-01T00:00:00Z"}}}})["results"]
                    .empty())
        << mode;
    EXPECT_EQ(DocumentsOf(Answer({{"query", query},
                                  {"mode", mode},
                                  {"top_k", 100},
                                  {"filter", {{"uploaded_before", 32503680000000}}}})),
              (std::set<std::string>{faq, data}))
        << mode;
  }
  EXPECT_TRUE(
      Answer({{"query", query}, {"filter", {{"document_ids", json::array()}}}})["results"].empty());
}

class SearchSpacesTest : public SearchTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "local"}, {"EMBED_MODE", "mock"}};
  }
};

TEST_F(SearchSpacesTest, ADocumentOfAnotherModelIsFoundByKeywordOnlyAndCountedPending) {
  const std::string old_doc = Ingest(token_, "R-data.pdf", "old", kRDataPdf);
  // New calls embed with the local model from now on: the old document's vectors stay mock's.
  HttpRequest put{.method = "PUT",
                  .target = "/api/v1/services/embed/mode",
                  .headers = {{"Content-Type", "application/json"}},
                  .bearer = AdminToken(),
                  .body = R"({"mode":"local"})"};
  HttpResponse switched = client_->Send(put);
  ASSERT_EQ(switched.status, 200) << switched.Describe();
  const std::string new_doc = Ingest(token_, "R-FAQ.pdf", "new");
  const std::string word = WordOnlyIn(Chunks(old_doc, token_), Chunks(new_doc, token_));
  ASSERT_FALSE(word.empty());

  const json hybrid = Answer({{"query", word}, {"top_k", 100}});
  EXPECT_TRUE(hybrid["model"].get<std::string>().starts_with("ingestd-hash-v1@")) << hybrid.dump();
  EXPECT_EQ(hybrid["vector_pending_documents"], 1);
  bool found_old = false;
  for (const json& hit : hybrid["results"]) {
    if (hit["document_id"] == old_doc) {
      found_old = true;
      EXPECT_TRUE(hit["rank"]["vector"].is_null()) << hit.dump();  // never from mock's space
      EXPECT_FALSE(hit["rank"]["keyword"].is_null()) << hit.dump();
    } else {
      EXPECT_EQ(hit["document_id"], new_doc);
    }
  }
  EXPECT_TRUE(found_old) << word;
  const json vector = Answer({{"query", word}, {"mode", "vector"}, {"top_k", 100}});
  EXPECT_EQ(DocumentsOf(vector), std::set<std::string>{new_doc});
  EXPECT_EQ(vector["vector_pending_documents"], 1);
  // Filtered to the new document alone, nothing is pending.
  EXPECT_EQ(Answer({{"query", word},
                    {"filter", {{"document_ids", {new_doc}}}}})["vector_pending_documents"],
            0);

  // The index report: a space per model, with the vectors of each document.
  HttpResponse report = client_->Get("/api/v1/search/index", AdminToken());
  ASSERT_EQ(report.status, 200) << report.Describe();
  std::set<std::string> models;
  const json report_body = report.Json();  // iterated below: must outlive the loop
  for (const json& space : report_body["spaces"]) {
    EXPECT_EQ(space["user_id"], "alice");
    EXPECT_EQ(space["kind"], "exact");
    EXPECT_EQ(space["documents"], 1);
    EXPECT_GT(space["vectors"].get<int>(), 0);
    EXPECT_GT(space["memory_bytes"].get<int64_t>(), space["vectors"].get<int64_t>() * 4);
    models.insert(space.value("model", ""));
  }
  EXPECT_EQ(models.size(), 2u) << report.body;
  EXPECT_EQ(client_->Get("/api/v1/search/index", token_).status, 403);
}

TEST_F(SearchTest, BadInputIsRefusedWithItsCode) {
  const auto expect = [&](const std::string& body, int status, const std::string& code) {
    HttpResponse r = client_->Send({.method = "POST",
                                    .target = "/api/v1/search",
                                    .headers = {{"Content-Type", "application/json"}},
                                    .bearer = token_,
                                    .body = body});
    EXPECT_EQ(r.status, status) << body << ": " << r.Describe();
    EXPECT_EQ(r.ErrorCode(), code) << body << ": " << r.Describe();
    EXPECT_FALSE(r.Json()["error"].value("correlation_id", "").empty()) << r.body;
  };
  expect(R"({"query":""})", 400, "INVALID_QUERY");
  expect(R"({"query":" \n\t "})", 400, "INVALID_QUERY");
  std::string long_query;
  for (int i = 0; i < 8001; ++i) long_query += " a";
  expect(json({{"query", long_query}}).dump(), 400, "INVALID_QUERY");
  expect(R"({"query":"r","mode":"fuzzy"})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","mode":1})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","filter":{"colour":"red"}})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","filter":[]})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","filter":{"document_ids":"d"}})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","filter":{"document_ids":[1]}})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","filter":{"filename_prefix":2}})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","filter":{"uploaded_after":"yesterday"}})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","filter":{"uploaded_before":"2026-02-30T00:00:00Z"}})", 400,
         "INVALID_FIELD");
  expect(R"({"query":"r","filter":{"uploaded_before":1.5}})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","top_k":0})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","top_k":101})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","top_k":"5"})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","top_k":18446744073709551615})", 400, "INVALID_FIELD");
  expect(R"({"query":5})", 400, "INVALID_FIELD");
  expect(R"({"query":"r","topk":5})", 400, "INVALID_FIELD");
  expect(R"({"top_k":5})", 400, "MISSING_FIELD");
  expect(R"(["query"])", 400, "INVALID_JSON");
  expect("{", 400, "INVALID_JSON");
  EXPECT_EQ(client_->PostJson("/api/v1/search", {{"query", "r"}}).status, 401);
  // A query of any text is no error: words only (never query syntax), nothing found.
  EXPECT_TRUE(Answer({{"query", "\"NEAR( * OR AND -"}, {"mode", "keyword"}})["results"].empty());
}

TEST_F(SearchTest, TheCliPrintsTheResults) {
  Ingest(token_, "R-FAQ.pdf", "cli");
  const std::string cmd = "INGESTD_TOKEN='" + token_ + "' '" + ServerProcess::BinaryPath() +
                          "' search 'frequently asked questions' --top-k 2 --mode keyword "
                          "--server '" +
                          server_->base_url() + "' 2>&1";
  const CommandResult good = RunCommand(cmd);
  const std::string& out = good.output;
  ASSERT_EQ(good.exit_code, 0) << out;
  EXPECT_NE(out.find("2 results · mode keyword"), std::string::npos) << out;
  EXPECT_NE(out.find(" 1. "), std::string::npos) << out;
  EXPECT_NE(out.find(" 2. "), std::string::npos) << out;
  EXPECT_NE(out.find("R-FAQ.pdf"), std::string::npos) << out;
  // A refusal is the server's code on stderr and exit status 1.
  const std::string bad = "INGESTD_TOKEN='" + token_ + "' '" + ServerProcess::BinaryPath() +
                          "' search x --mode fuzzy --server '" + server_->base_url() + "' 2>&1";
  const CommandResult refused = RunCommand(bad);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("HTTP 400 INVALID_FIELD"), std::string::npos) << refused.output;
}

class SearchRateTest : public SearchTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_SEARCHES_PER_MINUTE", "1"}};
  }
};

TEST_F(SearchRateTest, ASecondSearchWithinTheMinuteIs429WithRetryAfter) {
  EXPECT_EQ(Search({{"query", "r"}}).status, 200);
  HttpResponse r = Search({{"query", "r"}});
  EXPECT_EQ(r.status, 429) << r.Describe();
  EXPECT_EQ(r.ErrorCode(), "SEARCH_RATE_MINUTE_EXCEEDED");
  const int retry_after = std::atoi(r.Header("retry-after").c_str());
  EXPECT_GE(retry_after, 1) << r.Describe();
  EXPECT_LE(retry_after, 60) << r.Describe();
  EXPECT_EQ(Search({{"query", "r"}}, MakeToken("bob")).status, 200);  // per user
  // Refused input takes no token: it is refused before the bucket.
  EXPECT_EQ(Search({{"query", ""}}, MakeToken("carol")).status, 400);
  EXPECT_EQ(Search({{"query", "r"}}, MakeToken("carol")).status, 200);
}

// ---- the query embed is a paid call: fake OpenAI in REAL mode ----

class PaidSearchTest : public SearchTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"EMBED_MODE", "real"},
            {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
            {"OPENAI_BASE_URL", fake_.base_url()},
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"INGESTD_BUDGET_EMBED_HOURLY_REQUESTS", requests_}};
  }
  FakeOpenAiServer fake_;
  std::string requests_ = "100";
};

TEST_F(PaidSearchTest, TheQueryEmbedIsAuditedAndChargedUnderTheRequestsCorrelationId) {
  const std::string doc = Ingest(token_, "R-FAQ.pdf", "paid");
  const json chunks = Chunks(doc, token_);
  ASSERT_FALSE(chunks.empty());
  HttpResponse r =
      Search({{"query", chunks[0]["text"]}, {"mode", "vector"}, {"top_k", 1}}, "", "search-corr-1");
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json answer = r.Json();
  EXPECT_EQ(answer["model"], "text-embedding-3-small");
  EXPECT_GT(answer["query"]["cost_nanos"].get<int64_t>(), 0);
  ASSERT_EQ(answer["results"].size(), 1u);
  EXPECT_EQ(answer["results"][0]["chunk_id"], chunks[0]["chunk_id"]);
  // The audit writer is asynchronous: wait for the row.
  json found;
  for (int i = 0; i < 100 && found.is_null(); ++i) {
    HttpResponse audit = client_->Get("/api/v1/audit?service=embed&limit=500", AdminToken());
    ASSERT_EQ(audit.status, 200) << audit.Describe();
    const json audit_body = audit.Json();  // iterated below: must outlive the loop
    for (const json& e : audit_body["entries"]) {
      if (e.value("correlation_id", "") == "search-corr-1") found = e;
    }
    if (found.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(found.is_null()) << "no audit row of the search's embed";
  EXPECT_EQ(found["user_id"], "alice") << found.dump();
  EXPECT_EQ(found["http_status"], 200) << found.dump();
}

class ExhaustedSearchTest : public PaidSearchTest {
 protected:
  void SetUp() override {
    requests_ = "1";
    PaidSearchTest::SetUp();
  }
};

TEST_F(ExhaustedSearchTest, AnExhaustedBudgetInRealModeIsTheLedgersErrorNeverAFallback) {
  EXPECT_EQ(Search({{"query", "first"}, {"mode", "vector"}}).status, 200);
  HttpResponse r = Search({{"query", "second"}, {"mode", "vector"}});
  EXPECT_EQ(r.status, 429) << r.Describe();
  EXPECT_NE(r.ErrorCode().find("BUDGET"), std::string::npos) << r.Describe();
  EXPECT_FALSE(r.Header("retry-after").empty()) << r.Describe();
  size_t embeds = 0;
  for (const auto& q : fake_.requests()) embeds += q.target == "/v1/embeddings";
  EXPECT_EQ(embeds, 1u);
  // Keyword search needs no embedding and goes on.
  EXPECT_EQ(Search({{"query", "second"}, {"mode", "keyword"}}).status, 200);
}

}  // namespace
}  // namespace ingestd::itest
