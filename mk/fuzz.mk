# Fuzzing (tests/fuzz/README.md): clang 14 and its libFuzzer/sanitizer runtimes.
FUZZ_APT_PACKAGES += clang libclang-rt-14-dev

FUZZ_S ?= 60
.PHONY: fuzz fuzz-build fuzz-pdf
# Own build dir (clang, -fsanitize=fuzzer,address,undefined); every target runs FUZZ_S
# seconds, one at a time; crashers land in tests/fuzz/crashers/<target>/. `pdf` (also alone:
# make fuzz-pdf) mutates real PDFs through the sandboxed helper.
fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_S) $(FUZZ_TARGETS)

fuzz-pdf: fuzz-build
	@bash tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_S) pdf

fuzz-build: fuzz-deps
	cmake -S . -B $(BUILD)/fuzz $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DINGESTD_FUZZ=ON -DINGESTD_TESTS=OFF \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1"
	cmake --build $(BUILD)/fuzz --target fuzz_targets -j$(JOBS)
