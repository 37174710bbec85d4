# Tokenizer: English text (and the tools that render it) for the tokenizer's reference corpus
# (tools/build_corpus.sh, used by tests/text and bench/tokenizer).
APT_PACKAGES += dict-devil fortunes man-db groff-base bsdextrautils

# npm packages from the lockfile: tiktoken (cl100k_base rank data, read by the build) and the
# reference tokenizers the tests and the benchmark compare against. This prerequisite runs
# before the recipe of `deps`, so it installs node/npm itself when they are missing.
deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "==> installing nodejs and npm"; $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund
