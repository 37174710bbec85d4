// Router pick + reserve + settle overhead per call on SQLite (target < 20 µs): a routed
// embedder in real mode over a no-op "real" embedder, with a ledger on a temp file that has
// every limit kind set (total, service daily/hourly/requests, per user), so each call checks
// five windows. Also times the ledger alone and the router in mock mode (no ledger), and,
// with --pg-url, the same two on a PgLedger in that (empty) PostgreSQL database.
//   router_bench [--calls N] [--dir D] [--pg-url URL]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ledger/pg_ledger.h"
#include "ledger/sqlite_ledger.h"
#include "services/router/service_router.h"

namespace ingestd {
namespace {

class NoopEmbedder final : public Embedder {
 public:
  explicit NoopEmbedder(std::string name, std::string model)
      : name_(std::move(name)), model_(std::move(model)) {}
  std::string name() const override { return name_; }
  std::string model() const override { return model_; }
  int dimensions() const override { return 4; }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext&) override {
    EmbedOutput out;
    out.vectors.assign(texts.size(), std::vector<float>(4, 0.5f));
    out.model = model_;
    out.total_tokens = static_cast<int64_t>(texts.size()) * 100;
    return out;
  }

 private:
  std::string name_, model_;
};

struct Timing {
  double mean_us, p50_us, p99_us;
};

Timing Time(int calls, const std::function<void()>& call) {
  std::vector<double> us(static_cast<size_t>(calls));
  for (int i = 0; i < calls / 10; ++i) call();  // warm-up: statement cache, pages
  for (int i = 0; i < calls; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    call();
    us[static_cast<size_t>(i)] =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  }
  double sum = 0;
  for (double u : us) sum += u;
  std::sort(us.begin(), us.end());
  return {sum / calls, us[us.size() / 2], us[us.size() * 99 / 100]};
}

std::unique_ptr<ServiceRouter> MakeRouter(ServiceMode mode, Ledger* ledger, Clock* clock) {
  ServiceImpls impls;
  impls.embedders["real"] = std::make_unique<NoopEmbedder>("real", "text-embedding-3-small");
  impls.embedders["mock"] = std::make_unique<NoopEmbedder>("mock", "mock-embed");
  RouterOptions options;
  options.embed_mode = mode;
  options.parse_mode = ServiceMode::kMock;
  // The bench never parses; a parser is still required for the parse route.
  struct NoParser final : Parser {
    std::string name() const override { return "mock"; }
    Result<ParseOutput> Parse(const ParseInput&, const CallContext&) override {
      return ParseOutput{};
    }
  };
  impls.parsers["mock"] = std::make_unique<NoParser>();
  auto router = ServiceRouter::Create(std::move(options), std::move(impls), clock, ledger);
  if (!router.ok()) {
    std::fprintf(stderr, "router: %s\n", router.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*router);
}

struct LedgerTimings {
  Timing ledger_only, routed;
};

// Reserve + settle on the ledger alone, then through a real-mode router.
LedgerTimings Measure(Ledger* ledger, Clock* clock, int calls) {
  const std::vector<std::string> texts = {"one chunk of text"};
  const CallContext ctx{"corr", "job", "user"};
  LedgerTimings t;
  t.ledger_only = Time(calls, [&] {
    auto r = ledger->Reserve({"embed", 2000, "user", "job", "corr"});
    if (!r.ok() || !ledger->Settle(r->id, {2000, 100, "tokens", "m", false}).ok()) std::abort();
  });
  auto real = MakeRouter(ServiceMode::kReal, ledger, clock);
  t.routed = Time(calls, [&] {
    if (!real->embedder()->Embed(texts, ctx).ok()) std::abort();
  });
  return t;
}

void Line(const char* name, const Timing& t) {
  std::printf("LEDGER %s mean_us=%.2f p50_us=%.2f p99_us=%.2f\n", name, t.mean_us, t.p50_us,
              t.p99_us);
}

int Main(int argc, char** argv) {
  int calls = 20'000;
  std::string dir = std::filesystem::temp_directory_path().string();
  std::string pg_url;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--calls") calls = std::atoi(argv[i + 1]);
    if (std::string(argv[i]) == "--dir") dir = argv[i + 1];
    if (std::string(argv[i]) == "--pg-url") pg_url = argv[i + 1];
  }
  const std::string path = dir + "/router_bench_" + std::to_string(::getpid()) + ".db";
  LedgerOptions lo;
  lo.daily_usd = 1e6;
  lo.embed = {1e6, 1e6, int64_t{1} << 40};
  lo.user_daily_usd = 1e6;
  SystemClock* clock = SystemClock::Default();
  auto ledger = SqliteLedger::Open(path, clock, lo);
  if (!ledger.ok()) {
    std::fprintf(stderr, "ledger: %s\n", ledger.status().ToString().c_str());
    return 1;
  }
  const LedgerTimings sqlite = Measure(ledger->get(), clock, calls);
  auto mock = MakeRouter(ServiceMode::kMock, nullptr, clock);
  const std::vector<std::string> texts = {"one chunk of text"};
  const CallContext ctx{"corr", "job", "user"};
  Timing pick = Time(calls, [&] {
    if (!mock->embedder()->Embed(texts, ctx).ok()) std::abort();
  });
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");

  Line("router_reserve_settle", sqlite.routed);
  Line("ledger_reserve_settle", sqlite.ledger_only);
  Line("router_pick_mock", pick);
  if (!pg_url.empty()) {
    auto pg = PgLedger::Open(pg_url, clock, lo);
    if (!pg.ok()) {
      std::fprintf(stderr, "pg ledger: %s\n", pg.status().ToString().c_str());
      return 1;
    }
    const LedgerTimings t = Measure(pg->get(), clock, calls);
    Line("pg_router_reserve_settle", t.routed);
    Line("pg_ledger_reserve_settle", t.ledger_only);
  }
  return 0;
}

}  // namespace
}  // namespace ingestd

int main(int argc, char** argv) { return ingestd::Main(argc, argv); }
