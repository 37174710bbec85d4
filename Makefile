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
APT_PACKAGES := build-essential cmake pkg-config git \
  libboost-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev nlohmann-json3-dev \
  libgtest-dev libgmock-dev libbenchmark-dev libpcre2-dev \
  r-doc-pdf poppler-utils wrk curl

.PHONY: all deps build run test bench format clean
all: build

deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "==> installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  echo "==> installing nodejs and npm"; $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }

-include mk/*.mk

build: deps
	cmake -S . -B $(BUILD)/release -DCMAKE_BUILD_TYPE=Release -DINGESTD_TESTS=OFF
	cmake --build $(BUILD)/release -j$(JOBS)

run: build
	@mkdir -p "$(INGESTD_DATA_DIR)"
	@echo "==> development token (user 'dev'):"
	@$(BUILD)/release/src/cli/ingestd token --user dev
	@exec $(BUILD)/release/src/cli/ingestd serve

test: deps
	cmake -S . -B $(BUILD)/test -DCMAKE_BUILD_TYPE=Debug -DINGESTD_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS="-O1 -g" -DCMAKE_C_FLAGS="-O1 -g"
	cmake --build $(BUILD)/test -j$(JOBS)
	@cd $(BUILD)/test && ctest --output-on-failure -j$(JOBS) --timeout 600; rc=$$?; \
	  if [ $$rc -eq 0 ]; then echo "==> make test: ALL TESTS PASSED"; \
	  else echo "==> make test: FAILURES (ctest exit $$rc)"; fi; exit $$rc

bench: deps
	cmake -S . -B $(BUILD)/bench -DCMAKE_BUILD_TYPE=Release -DINGESTD_TESTS=OFF -DINGESTD_BENCH=ON
	cmake --build $(BUILD)/bench -j$(JOBS)
	@bash bench/run.sh $(BUILD)/bench

format:
	find src tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
