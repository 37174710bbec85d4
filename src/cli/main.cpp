// ingestd: document ingestion for retrieval pipelines. See README.md.
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include "cli/commands.h"
#include "pdf/pdf_commands.h"
#include "text/text_commands.h"

namespace {

constexpr const char* kUsage =
    "usage: ingestd <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve [--no-workers]           run the HTTP API and pipeline workers (or the API only)\n"
    "  worker                         run pipeline workers only (no HTTP API)\n"
    "  costs [--from T] [--to T] [--group-by G] [--user U]\n"
    "                                 spend, open reservations and budget limits (JSON)\n"
    "  services show | set-mode parse|embed MODE\n"
    "                                 persisted service modes and their history; switch one\n"
    "  reembed [--dry-run] [--limit N]\n"
    "                                 re-embed fallback-made vectors with the real embedder\n"
    "  search QUERY [--top-k N] [--mode M] [--server URL] [--token T]\n"
    "                                 search the caller's chunks on a running server\n"
    "  ingest PATH... [--server URL] [--token T] [--concurrency N] [--wait] [--priority P]\n"
    "                                 upload files and folders (*.pdf) with progress\n"
    "  jobs [--state S] [--status S] [--limit N] [--watch] [--server URL] [--token T]\n"
    "                                 the caller's jobs as a table (--watch: follow them)\n"
    "  job ID [--server URL] [--token T]\n"
    "                                 a job's timeline: stages, routes, costs, events\n"
    "  token --user U [--role R] [--ttl-s N]\n"
    "                                 print a development bearer token\n"
    "  signin-code --user U [--role R] [--ttl-ms N] [--url-base URL]\n"
    "                                 a one-time sign-in code (or dashboard URL) for U\n"
    "  tokenize FILE|- [--count]      cl100k_base token ids (or their count)\n"
    "  chunk FILE|-                   markdown-tokens@1 chunks, one JSON object a line\n"
    "  parse FILE [--pages]           markdown of a PDF by the local parser (or its page count)\n"
    "\n"
    "Configuration comes from INGESTD_* environment variables; see README.md.\n";

}  // namespace

int main(int argc, char** argv) {
  using ingestd::cli::Args;
  const std::map<std::string, std::function<int(const Args&)>> commands = {
      {"serve", ingestd::cli::RunServe},
      {"worker", ingestd::cli::RunWorker},
      {"token", ingestd::cli::RunToken},
      {"signin-code", ingestd::cli::RunSigninCode},
      {"costs", ingestd::cli::RunCosts},
      {"reembed", ingestd::cli::RunReembed},
      {"services", ingestd::cli::RunServices},
      {"search", ingestd::cli::RunSearch},
      {"ingest", ingestd::cli::RunIngest},
      {"jobs", ingestd::cli::RunJobs},
      {"job", ingestd::cli::RunJob},
      {"tokenize",
       [](const Args& a) {
         return ingestd::RunTokenizeCommand(a, std::cin, std::cout, std::cerr);
       }},
      {"chunk",
       [](const Args& a) { return ingestd::RunChunkCommand(a, std::cin, std::cout, std::cerr); }},
      {"parse",
       [](const Args& a) { return ingestd::pdf::RunParseCommand(a, std::cout, std::cerr); }},
  };
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  auto it = commands.find(argv[1]);
  if (it == commands.end()) {
    std::fprintf(stderr, "ingestd: unknown command '%s'\n\n%s", argv[1], kUsage);
    return 2;
  }
  return it->second(Args(argv + 2, argv + argc));
}
