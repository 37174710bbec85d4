// Helpers shared by the integration tests: tokens, test PDFs, multipart bodies, the two
// upload flows, polling a job, and listing what a server left on disk.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/http_client.h"
#include "harness/multipart_body.h"
#include "harness/run_command.h"
#include "harness/server_process.h"

namespace ingestd::itest {

using nlohmann::json;

// Real PDFs from Debian packages (r-doc-pdf, shared-mime-info), installed by `make test`.
inline constexpr char kRFaqPdf[] = "/usr/share/R/doc/manual/R-FAQ.pdf";
inline constexpr char kRDataPdf[] = "/usr/share/R/doc/manual/R-data.pdf";
inline constexpr char kRLangPdf[] = "/usr/share/R/doc/manual/R-lang.pdf";
inline constexpr char kRIntsPdf[] = "/usr/share/R/doc/manual/R-ints.pdf";
inline constexpr char kRAdminPdf[] = "/usr/share/R/doc/manual/R-admin.pdf";
inline constexpr char kRIntroPdf[] = "/usr/share/R/doc/manual/R-intro.pdf";
inline constexpr char kRExtsPdf[] = "/usr/share/R/doc/manual/R-exts.pdf";

// An HS256 token for user, expiring exp_offset_s from now (negative: already expired).
std::string MakeToken(const std::string& user, int64_t exp_offset_s = 3600,
                      const std::string& secret = kTestJwtSecret);

// `ingestd signin-code ARGS` against server's database (its data dir): the printed line
// (a code, or with --url-base the URL), without the newline; empty when the command failed.
std::string SigninCode(const ServerProcess& server, const std::string& args);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& bytes);
std::string Sha256OfFile(const std::string& path);
// The PDF at path with a trailing "%itest <tag>" comment line after %%EOF: still a valid PDF,
// but different bytes (and sha256) per tag, so uploads are not deduplicated.
std::string TaggedPdf(const std::string& path, const std::string& tag);

// SIGKILLs pid and returns once it is dead (a zombie, not reaped: its ServerProcess reaps
// it), so that nothing sent to it afterwards reaches it. For a fake's hook, on its thread.
void KillAndAwaitDeath(pid_t pid);

using Headers = std::vector<std::pair<std::string, std::string>>;

// POST /api/v1/upload with the metadata of bytes (size, sha256, application/pdf).
HttpResponse RequestUpload(HttpClient& client, const std::string& token,
                           const std::string& filename, const std::string& bytes,
                           const Headers& headers = {});
// PUT the bytes to a signed_url (an absolute URL), without a bearer token.
HttpResponse PutBlob(HttpClient& client, const std::string& signed_url, const std::string& bytes);
// POST /api/v1/documents as multipart/form-data with field `file`.
HttpResponse UploadOneShot(HttpClient& client, const std::string& token,
                           const std::string& filename, const std::string& bytes,
                           const Headers& headers = {});

bool IsComplete(const json& job_view);    // status complete, state done
bool IsSettled(const json& job_view);     // state done or deadletter
bool IsDeadletter(const json& job_view);  // state deadletter

struct WaitResult {
  bool met = false;
  json view;  // the last job view seen (null if none could be read)
};
// Polls GET /api/v1/jobs/{job_id} until pred holds or timeout_ms passes (or the server
// stops answering).
WaitResult WaitForJob(HttpClient& client, const std::string& token, const std::string& job_id,
                      const std::function<bool(const json&)>& pred, int timeout_ms = 60000);

// GET /api/v1/jobs/{job_id}/events → the events array (empty on error).
json GetEvents(HttpClient& client, const std::string& token, const std::string& job_id);
std::vector<std::string> EventCodes(const json& events);
// True when want appears in have in order (other elements may sit between).
bool IsSubsequence(const std::vector<std::string>& want, const std::vector<std::string>& have);
std::string Join(const std::vector<std::string>& items);
// "2026-11-28T18:10:17Z" or with fractional seconds: RFC 3339 in UTC, as the API writes times.
bool IsRfc3339Utc(const std::string& s);

// Regular files under the data dir other than the SQLite files and secrets/, relative to it:
// after a rejected request this must be empty (no blobs, no half-written temp files).
std::vector<std::string> StrayDataFiles(const std::string& data_dir);
// Every file under dir (recursive), relative to it; empty if dir does not exist.
std::vector<std::string> ListFiles(const std::string& dir);
// The JSON objects of a JSON-lines log file; lines that are not JSON are skipped.
std::vector<json> ReadJsonLines(const std::string& path);

// Base fixture: one fresh server per test, a client and a token for user "alice".
class ServerTest : public ::testing::Test {
 protected:
  // Extra environment for the server; override per fixture.
  virtual std::map<std::string, std::string> ServerEnv() const { return {}; }
  void SetUp() override;
  // Prints the tail of the server's stderr when the test failed.
  void TearDown() override;

  // Starts (again) after a Kill()/Stop() and re-points client_ at the new port.
  void Restart();
  // A one-shot upload of R-FAQ.pdf made unique by tag (TaggedPdf) as alice; expects 202 and
  // returns the job id.
  std::string UploadTaggedFaq(const std::string& tag);

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::string token_;  // user "alice"
};

}  // namespace ingestd::itest
