# Prometheus metrics (src/metrics/README.md): prometheus-cpp's core library for the build;
# Debian's Prometheus server and promtool for the tests that scrape the running binary.
APT_PACKAGES += prometheus-cpp-dev prometheus
