# Vector search benchmark (bench/search): the references it runs beside ingestd's spaces,
# Debian's faiss (IndexFlatIP) and hnswlib Python modules, read by /usr/bin/python3.
BENCH_APT_PACKAGES += python3-faiss python3-hnswlib python3-numpy
# The HTTP load generator of bench/upload.lua.
BENCH_APT_PACKAGES += wrk
