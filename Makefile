# ingestd — two commands on a fresh machine:
#   make run    install what is missing, build Release, start the service
#   make test   install what is missing, build with ASan+UBSan, run every test (CTest)
#   make bench  build Release with benchmarks and run them

JOBS        ?= 2
BUILD       ?= build
INGESTD_PORT     ?= 8080
INGESTD_DATA_DIR ?= $(CURDIR)/data
export INGESTD_PORT INGESTD_DATA_DIR

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages the build, the tests and the benchmarks need.
APT_PACKAGES := build-essential cmake ninja-build ccache mold python3 pkg-config git \
  libboost-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev nlohmann-json3-dev \
  libgtest-dev libgmock-dev libpcre2-dev libhnswlib-dev \
  r-doc-pdf poppler-utils curl

# Packages only `make bench` and `make fuzz` need (mk/bench.mk, mk/fuzz.mk add to them), so
# `make test` and `make run` on a fresh machine do not spend minutes installing them.
BENCH_APT_PACKAGES :=
FUZZ_APT_PACKAGES :=

.PHONY: all deps bench-deps fuzz-deps build run test bench format clean deps-graph
all: build

# $(call apt_install,PACKAGES): installs those of PACKAGES that are missing.
define apt_install
@missing=$$(for p in $(1); do \
  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
if [ -n "$$missing" ]; then \
  echo "==> installing Debian packages:" $$missing; \
  $(SUDO) apt-get update -qq && \
  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  echo "==> installing nodejs and npm"; $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
bench-deps: deps
	$(call apt_install,$(BENCH_APT_PACKAGES))
fuzz-deps: deps
	$(call apt_install,$(FUZZ_APT_PACKAGES))

-include mk/*.mk

# Ninja schedules the whole tree at once (make recurses per target); ccache and mold are
# picked up by CMakeLists.txt when present.
CMAKE_GEN := -G Ninja

build: deps
	cmake -S . -B $(BUILD)/release $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DINGESTD_TESTS=OFF
	cmake --build $(BUILD)/release -j$(JOBS)

# The dashboard URL signs `dev` in (role admin) once: it carries a one-time code (10 minutes)
# in the fragment, which the browser never sends, so it reaches no log; the page trades it for
# a session token. A token for curl is printed too.
run: build
	@mkdir -p "$(INGESTD_DATA_DIR)"
	@token=$$($(BUILD)/release/src/cli/ingestd token --user dev --role admin) && \
	  url=$$(INGESTD_LOG_LEVEL=warn $(BUILD)/release/src/cli/ingestd signin-code --user dev \
	    --role admin --url-base "http://$${INGESTD_HOST:-127.0.0.1}:$(INGESTD_PORT)") && \
	  echo "==> development token (user 'dev', role admin):" && echo "$$token" && \
	  echo "==> dashboard, one-time sign-in as dev (ingestd signin-code makes another): $$url"
	@exec $(BUILD)/release/src/cli/ingestd serve

# -g1 (line tables) is all ASan/UBSan reports need; full -g doubles object sizes and link time.
# -Og, not -O1: under ASan+UBSan it compiles in ~55% of -O1's CPU time and the tests run as fast
# (README "Build times").
test: deps
	cmake -S . -B $(BUILD)/test $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DINGESTD_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS="-Og" -DCMAKE_C_FLAGS="-Og" -DCMAKE_CXX_FLAGS_DEBUG="-g1" -DCMAKE_C_FLAGS_DEBUG="-g1"
	cmake --build $(BUILD)/test -j$(JOBS)
	@cd $(BUILD)/test && ctest --output-on-failure -j$(JOBS) --timeout 600; rc=$$?; \
	  if [ $$rc -eq 0 ]; then echo "==> make test: ALL TESTS PASSED"; \
	  else echo "==> make test: FAILURES (ctest exit $$rc)"; fi; exit $$rc

bench: bench-deps
	cmake -S . -B $(BUILD)/bench $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DINGESTD_TESTS=OFF -DINGESTD_BENCH=ON
	cmake --build $(BUILD)/bench -j$(JOBS)
	@bash bench/run.sh $(BUILD)/bench

# The module graph as the includes have it (src/README.md has the intended one).
deps-graph:
	@python3 tools/check_deps.py --graph

format:
	find src tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
