#include "harness/test_support.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "core/crypto.h"
#include "core/jwt.h"

namespace ingestd::itest {
namespace {

namespace fs = std::filesystem;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string MakeToken(const std::string& user, int64_t exp_offset_s, const std::string& secret) {
  return SignJwt({.sub = user, .exp = NowSeconds() + exp_offset_s}, secret);
}

std::string SigninCode(const ServerProcess& server, const std::string& args) {
  CommandResult run =
      RunCommand("INGESTD_DATA_DIR='" + server.data_dir() + "' '" + ServerProcess::BinaryPath() +
                 "' signin-code " + args + " 2>/dev/null");
  if (run.exit_code != 0) return "";
  while (!run.output.empty() && run.output.back() == '\n') run.output.pop_back();
  return run.output;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string Sha256OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Sha256 hash;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) hash.Update({buf, size_t(in.gcount())});
  return hash.FinishHex();
}

std::string TaggedPdf(const std::string& path, const std::string& tag) {
  return ReadFile(path) + "\n%itest " + tag + "\n";
}

void KillAndAwaitDeath(pid_t pid) {
  ::kill(pid, SIGKILL);
  const std::string stat = "/proc/" + std::to_string(pid) + "/stat";
  for (int i = 0; i < 1000; ++i) {
    const std::string s = ReadFile(stat);  // "pid (comm) S …"; Z once dead, unreaped
    const size_t paren = s.rfind(')');
    if (paren == std::string::npos || s.compare(paren + 2, 1, "Z") == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

HttpResponse RequestUpload(HttpClient& client, const std::string& token,
                           const std::string& filename, const std::string& bytes,
                           const Headers& headers) {
  json meta = {{"filename", filename},
               {"bytes_len", bytes.size()},
               {"mime", "application/pdf"},
               {"sha256", Sha256Hex(bytes)}};
  Headers all = headers;
  all.emplace_back("Content-Type", "application/json");
  return client.Send({.method = "POST",
                      .target = "/api/v1/upload",
                      .headers = all,
                      .bearer = token,
                      .body = meta.dump()});
}

HttpResponse PutBlob(HttpClient& client, const std::string& signed_url, const std::string& bytes) {
  return client.Send({.method = "PUT",
                      .target = signed_url,
                      .headers = {{"Content-Type", "application/pdf"}},
                      .body = bytes});
}

HttpResponse UploadOneShot(HttpClient& client, const std::string& token,
                           const std::string& filename, const std::string& bytes,
                           const Headers& headers) {
  Multipart m = BuildMultipart("file", filename, bytes);
  Headers all = headers;
  all.emplace_back("Content-Type", m.content_type);
  return client.Send({.method = "POST",
                      .target = "/api/v1/documents",
                      .headers = all,
                      .bearer = token,
                      .body = m.body});
}

bool IsComplete(const json& v) {
  return v.value("status", "") == "complete" && v.value("state", "") == "done";
}
bool IsSettled(const json& v) {
  auto state = v.value("state", "");
  return state == "done" || state == "deadletter";
}
bool IsDeadletter(const json& v) { return v.value("state", "") == "deadletter"; }

WaitResult WaitForJob(HttpClient& client, const std::string& token, const std::string& job_id,
                      const std::function<bool(const json&)>& pred, int timeout_ms) {
  WaitResult result;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int transport_failures = 0;
  do {
    HttpResponse r = client.Get("/api/v1/jobs/" + job_id, token);
    // A server that stopped answering will not finish the job: give up early.
    transport_failures = r.status == 0 ? transport_failures + 1 : 0;
    if (transport_failures >= 5) break;
    if (r.status == 200) {
      result.view = r.Json();
      if (result.view.is_object() && pred(result.view)) {
        result.met = true;
        return result;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  } while (std::chrono::steady_clock::now() < deadline);
  return result;
}

json GetEvents(HttpClient& client, const std::string& token, const std::string& job_id) {
  HttpResponse r = client.Get("/api/v1/jobs/" + job_id + "/events", token);
  json j = r.Json();
  if (r.status != 200 || !j.is_object() || !j.contains("events") || !j["events"].is_array()) {
    return json::array();
  }
  return j["events"];
}

std::vector<std::string> EventCodes(const json& events) {
  std::vector<std::string> codes;
  for (auto& e : events) codes.push_back(e.value("code", ""));
  return codes;
}

bool IsSubsequence(const std::vector<std::string>& want, const std::vector<std::string>& have) {
  size_t i = 0;
  for (auto& h : have) {
    if (i < want.size() && h == want[i]) ++i;
  }
  return i == want.size();
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

bool IsRfc3339Utc(const std::string& s) {
  const std::string_view shape = "dddd-dd-ddTdd:dd:dd";
  if (s.size() < shape.size() + 1 || s.back() != 'Z') return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != shape[i]) {
      return false;
    }
  }
  std::string_view frac(s.data() + shape.size(), s.size() - shape.size() - 1);
  if (frac.empty()) return true;
  if (frac.size() < 2 || frac[0] != '.') return false;
  return std::all_of(frac.begin() + 1, frac.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_directory()) files.push_back(fs::relative(it->path(), dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> StrayDataFiles(const std::string& data_dir) {
  std::vector<std::string> stray;
  for (auto& f : ListFiles(data_dir)) {
    if (f.starts_with("ingestd.db") || f.starts_with("secrets/")) continue;
    stray.push_back(f);
  }
  return stray;
}

std::vector<json> ReadJsonLines(const std::string& path) {
  std::vector<json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) lines.push_back(std::move(j));
  }
  return lines;
}

void ServerTest::SetUp() {
  if (ServerProcess::BinaryPath().empty()) GTEST_SKIP() << "no ingestd binary in this build";
  server_ = std::make_unique<ServerProcess>(ServerEnv());
  ASSERT_EQ(server_->Start(), "");
  client_ = std::make_unique<HttpClient>(server_->base_url());
  token_ = MakeToken("alice");
}

void ServerTest::TearDown() {
  // The server's own account of a failure is usually the quickest way to its cause.
  if (HasFailure() && server_) {
    std::cout << "---- server stderr (tail) ----\n" << server_->StderrTail() << "\n----\n";
  }
}

void ServerTest::Restart() {
  ASSERT_EQ(server_->Start(), "");
  client_ = std::make_unique<HttpClient>(server_->base_url());
}

std::string ServerTest::UploadTaggedFaq(const std::string& tag) {
  HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, tag));
  EXPECT_EQ(up.status, 202) << up.Describe();
  return up.Json().value("job_id", "");
}

}  // namespace ingestd::itest
