# Integration tests and benchmarks: a ~140 KB real PDF for the upload benchmark.
APT_PACKAGES += shared-mime-info
