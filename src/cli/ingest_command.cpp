// `ingestd ingest PATH... [--server URL] [--token T] [--concurrency N] [--wait] [--priority P]`:
// uploads files and folders (recursively, the *.pdf in them) to a running server, N at a time,
// through POST /api/v1/documents. The server's duplicate detection makes a re-run skip what it
// already has. A refusal that says when to come back (429/503 with Retry-After: a rate limit,
// the active-job cap) is waited out, not counted as a failure. With --wait it follows the
// jobs to their end. On a terminal, one progress line on stderr; otherwise a log line per
// event. A summary table goes to stdout; the exit code is 1 when a file was refused or a job
// dead-lettered.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/process_setup.h"
#include "core/json_read.h"
#include "services/http/curl_http_client.h"

namespace ingestd::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr char kIngestUsage[] =
    "usage: ingestd ingest PATH... [--server URL] [--token T] [--concurrency N] [--wait] "
    "[--priority P]\n";
constexpr int kMaxWaits = 30;      // Retry-After waits of one file before it is refused
constexpr int64_t kMaxWaitS = 60;  // the longest single wait
constexpr auto kPollEvery = std::chrono::milliseconds(500);

struct IngestOptions {
  std::vector<std::string> paths;
  std::string server, token;
  int concurrency = 4;
  bool wait = false;
  std::optional<int> priority;
};

// One file's way through the run.
struct FileRun {
  std::string path;
  enum class Upload { kPending, kUploaded, kDuplicate, kRefused } upload = Upload::kPending;
  std::string job_id, document_id, state, note;
  int64_t pages = -1, tokens = -1, cost_nanos = 0;
  bool finished = false;  // the job reached done or deadletter (and its figures were read)
};

// Directories are walked for *.pdf (any case); a file named on the command line is sent as it
// is (the server decides). Sorted, so two runs send in the same order.
std::vector<std::string> CollectFiles(const std::vector<std::string>& paths, std::string* error) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(
               p, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::string ext = it->path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        if (ext == ".pdf" && it->is_regular_file(ec)) found.push_back(it->path().string());
      }
      if (ec) {
        *error = p + ": " + ec.message();
        return {};
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      *error = p + ": no such file or directory";
      return {};
    }
  }
  return files;
}

class IngestRun {
 public:
  IngestRun(IngestOptions options, ApiTarget target, std::vector<std::string> files)
      : options_(std::move(options)), target_(std::move(target)), tty_(isatty(STDERR_FILENO)) {
    for (std::string& f : files) {
      runs_.emplace_back();
      runs_.back().path = std::move(f);
    }
  }

  int Run() {
    started_ = std::chrono::steady_clock::now();
    std::thread progress([this] { ProgressLoop(); });
    std::thread follower;
    if (options_.wait) follower = std::thread([this] { FollowLoop(); });
    std::vector<std::thread> uploaders;
    for (int i = 0; i < options_.concurrency; ++i) uploaders.emplace_back([this] { UploadLoop(); });
    for (std::thread& t : uploaders) t.join();
    {
      std::lock_guard lock(mu_);
      uploads_done_ = true;
    }
    changed_.notify_all();
    if (follower.joinable()) follower.join();
    {
      std::lock_guard lock(mu_);
      stop_progress_ = true;
    }
    changed_.notify_all();
    progress.join();
    if (tty_) std::fputs("\r\033[K", stderr);
    return PrintSummary();
  }

 private:
  void UploadLoop() {
    http::CurlHttpClient client;
    for (size_t i = next_file_++; i < runs_.size(); i = next_file_++) Upload(client, i);
  }

  void Upload(http::HttpClient& client, size_t i) {
    const std::string path = runs_[i].path;
    for (int attempt = 0;; ++attempt) {
      http::HttpRequest request;
      request.method = "POST";
      request.url = "/api/v1/documents";
      request.form_file =
          http::FilePart{"file", path, fs::path(path).filename().string(), "application/pdf"};
      if (options_.priority) {
        request.form_fields = {{"processing_priority", std::to_string(*options_.priority)}};
      }
      auto answer = CallApi(client, target_, std::move(request));
      if (!answer.ok()) return Refuse(i, answer.status().ToString());
      if (answer->status == 200 || answer->status == 202) {
        const bool duplicate = json_read::Bool(answer->body, "duplicate").value_or(false);
        std::lock_guard lock(mu_);
        FileRun& r = runs_[i];
        r.upload = duplicate ? FileRun::Upload::kDuplicate : FileRun::Upload::kUploaded;
        r.job_id = json_read::String(answer->body, "job_id").value_or("");
        r.document_id = json_read::String(answer->body, "document_id").value_or("");
        r.state = json_read::String(answer->body, "state").value_or("");
        Log(path + ": " + (duplicate ? "duplicate of" : "uploaded,") + " job " + r.job_id);
        changed_.notify_all();
        return;
      }
      const bool come_back =
          (answer->status == 429 || answer->status == 503) && answer->retry_after_s.has_value();
      if (!come_back || attempt >= kMaxWaits) return Refuse(i, DescribeRefusal(*answer));
      const int64_t wait_s = std::min(*answer->retry_after_s, kMaxWaitS);
      {
        std::lock_guard lock(mu_);
        Log(path + ": " + DescribeRefusal(*answer) + "; again in " + std::to_string(wait_s) + " s");
      }
      std::this_thread::sleep_for(std::chrono::seconds(wait_s));
    }
  }

  void Refuse(size_t i, const std::string& why) {
    std::lock_guard lock(mu_);
    runs_[i].upload = FileRun::Upload::kRefused;
    runs_[i].note = why;
    Log(runs_[i].path + ": refused: " + why);
    changed_.notify_all();
  }

  // Polls every job not yet finished until the uploads are over and every job has ended.
  void FollowLoop() {
    http::CurlHttpClient client;
    for (;;) {
      std::vector<size_t> open;
      bool uploads_done;
      {
        std::lock_guard lock(mu_);
        uploads_done = uploads_done_;
        for (size_t i = 0; i < runs_.size(); ++i) {
          if (!runs_[i].job_id.empty() && !runs_[i].finished) open.push_back(i);
        }
      }
      if (open.empty() && uploads_done) return;
      for (size_t i : open) Poll(client, i);
      std::unique_lock lock(mu_);
      changed_.wait_for(lock, kPollEvery);
    }
  }

  void Poll(http::HttpClient& client, size_t i) {
    const std::string job_id = runs_[i].job_id;  // set once, before the job is listed as open
    const std::string document_id = runs_[i].document_id;
    auto job = Get(client, "/api/v1/jobs/" + job_id);
    if (!job) return;  // a failed poll is tried again next round
    const std::string state = json_read::String(*job, "state").value_or("");
    FileRun update;
    update.state = state;
    if (state == "done" || state == "deadletter") {
      update.finished = true;
      if (const json* cost = json_read::Find(*job, "actual_cost")) {
        update.cost_nanos = json_read::Int(*cost, "total_nanos").value_or(0);
      }
      if (const json* err = json_read::Find(*job, "last_error"); state == "deadletter" && err) {
        update.note = json_read::String(*err, "code").value_or("") + ": " +
                      json_read::String(*err, "message").value_or("");
      }
      if (auto doc = Get(client, "/api/v1/documents/" + document_id)) {
        update.pages = json_read::Int(*doc, "page_count").value_or(-1);
      }
      if (auto events = Get(client, "/api/v1/jobs/" + job_id + "/events")) {
        update.tokens = 0;
        for (const json& e : events->value("events", json::array())) {
          if (json_read::String(e, "type").value_or("") != "EMBEDDINGS_STORED") continue;
          if (const json* payload = json_read::Find(e, "payload")) {
            update.tokens += json_read::Int(*payload, "total_tokens").value_or(0);
          }
        }
      }
    }
    std::lock_guard lock(mu_);
    FileRun& r = runs_[i];
    r.state = update.state;
    if (update.finished) {
      r.finished = true;
      r.cost_nanos = update.cost_nanos;
      r.pages = update.pages;
      r.tokens = update.tokens;
      if (!update.note.empty()) r.note = update.note;
      Log(r.path + ": job " + r.job_id + " " + state);
    }
    changed_.notify_all();
  }

  std::optional<json> Get(http::HttpClient& client, const std::string& path) {
    auto body = GetApiJson(client, target_, path);
    if (!body.ok()) return std::nullopt;
    return std::move(body.value());
  }

  // Off a terminal, one line per event (mu_ held). On one, the progress line carries it.
  void Log(const std::string& line) {
    if (!tty_) std::fprintf(stderr, "%s\n", line.c_str());
  }

  void ProgressLoop() {
    if (!tty_) return;
    std::unique_lock lock(mu_);
    while (!stop_progress_) {
      std::fprintf(stderr, "\r\033[K%s", ProgressLine().c_str());
      std::fflush(stderr);
      changed_.wait_for(lock, std::chrono::milliseconds(200));
    }
  }

  struct Totals {
    size_t uploaded = 0, duplicates = 0, refused = 0, pending = 0, done = 0, failed = 0;
    int64_t pages = 0, tokens = 0, cost_nanos = 0;
  };

  Totals Count() const {  // mu_ held
    Totals t;
    for (const FileRun& r : runs_) {
      t.uploaded += r.upload == FileRun::Upload::kUploaded;
      t.duplicates += r.upload == FileRun::Upload::kDuplicate;
      t.refused += r.upload == FileRun::Upload::kRefused;
      t.pending += r.upload == FileRun::Upload::kPending;
      if (!r.finished) continue;
      (r.state == "done" ? t.done : t.failed) += 1;
      t.pages += std::max<int64_t>(r.pages, 0);
      t.tokens += std::max<int64_t>(r.tokens, 0);
      t.cost_nanos += r.cost_nanos;
    }
    return t;
  }

  std::string ProgressLine() const {  // mu_ held
    const Totals t = Count();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    // Work units: an upload each, and with --wait a job end each for every accepted file.
    const size_t accepted = t.uploaded + t.duplicates;
    const size_t total = runs_.size() + (options_.wait ? runs_.size() - t.refused : 0);
    const size_t done = runs_.size() - t.pending + (options_.wait ? t.done + t.failed : 0);
    std::string eta = "-";
    if (done > 0 && done < total) {
      eta = std::to_string(static_cast<int64_t>(elapsed / done * (total - done) + 0.5)) + "s";
    }
    char line[320];
    std::snprintf(line, sizeof line,
                  "files %zu/%zu: %zu uploaded, %zu duplicates, %zu refused | jobs %zu complete, "
                  "%zu failed of %zu | %lld pages, %lld tokens, $%.4f | ETA %s",
                  runs_.size() - t.pending, runs_.size(), t.uploaded, t.duplicates, t.refused,
                  t.done, t.failed, accepted, static_cast<long long>(t.pages),
                  static_cast<long long>(t.tokens), t.cost_nanos / 1e9, eta.c_str());
    return line;
  }

  int PrintSummary() {
    std::lock_guard lock(mu_);
    size_t width = 4;
    for (const FileRun& r : runs_) width = std::max(width, r.path.size());
    std::printf("%-*s  %-9s  %-10s  %5s  %8s  %10s  %s\n", static_cast<int>(width), "FILE",
                "UPLOAD", "STATE", "PAGES", "TOKENS", "COST_USD", "NOTE");
    static constexpr const char* kUploadNames[] = {"pending", "uploaded", "duplicate", "refused"};
    for (const FileRun& r : runs_) {
      const auto num = [](int64_t v) { return v < 0 ? std::string("-") : std::to_string(v); };
      std::printf("%-*s  %-9s  %-10s  %5s  %8s  %10.6f  %s\n", static_cast<int>(width),
                  r.path.c_str(), kUploadNames[static_cast<int>(r.upload)],
                  r.state.empty() ? "-" : r.state.c_str(), num(r.pages).c_str(),
                  num(r.tokens).c_str(), r.cost_nanos / 1e9, r.note.c_str());
    }
    std::printf("%s\n", ProgressLine().c_str());
    const Totals t = Count();
    return t.refused > 0 || t.failed > 0 ? 1 : 0;
  }

  const IngestOptions options_;
  const ApiTarget target_;
  const bool tty_;
  std::vector<FileRun> runs_;  // fixed size; its entries are guarded by mu_
  std::atomic<size_t> next_file_{0};
  std::chrono::steady_clock::time_point started_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool uploads_done_ = false;
  bool stop_progress_ = false;
};

}  // namespace

int RunIngest(const Args& args) {
  IngestOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--wait") {
      options.wait = true;
    } else if (a == "--server" || a == "--token" || a == "--concurrency" || a == "--priority") {
      if (i + 1 >= args.size()) {
        std::fputs(kIngestUsage, stderr);
        return 2;
      }
      const std::string& v = args[++i];
      if (a == "--server") {
        options.server = v;
      } else if (a == "--token") {
        options.token = v;
      } else {
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        const bool concurrency = a == "--concurrency";
        if (*end != '\0' || v.empty() || (concurrency ? n < 1 || n > 64 : n < -100 || n > 100)) {
          std::fprintf(stderr, "ingestd ingest: %s must be an integer in %s\n", a.c_str(),
                       concurrency ? "1..64" : "-100..100");
          return 2;
        }
        if (concurrency) {
          options.concurrency = static_cast<int>(n);
        } else {
          options.priority = static_cast<int>(n);
        }
      }
    } else if (a.starts_with("--")) {
      std::fputs(kIngestUsage, stderr);
      return 2;
    } else {
      options.paths.push_back(a);
    }
  }
  if (options.paths.empty()) {
    std::fputs(kIngestUsage, stderr);
    return 2;
  }
  auto target = ResolveApiTarget(options.server, options.token);
  if (!target.ok()) return FailStart("ingest", target.status());
  std::string error;
  std::vector<std::string> files = CollectFiles(options.paths, &error);
  if (!error.empty()) {
    std::fprintf(stderr, "ingestd ingest: %s\n", error.c_str());
    return 2;
  }
  if (files.empty()) {
    std::fprintf(stderr, "ingestd ingest: no PDF files under the paths given\n");
    return 1;
  }
  return IngestRun(std::move(options), std::move(*target), std::move(files)).Run();
}

}  // namespace ingestd::cli
