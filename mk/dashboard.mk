# Dashboard (src/api/dashboard): its browser test (tests/browser) drives Debian's Chromium
# with npm puppeteer-core (package.json); uPlot, also from npm, is embedded at build time.
APT_PACKAGES += chromium
