# Local PDF parser (src/pdf): MuPDF ships only as static archives (libmupdf.a,
# libmupdf-third.a) whose own dependencies come from these -dev packages. r-doc-pdf and
# poppler-utils (pdfinfo/pdftotext, the test and benchmark references) are in the Makefile.
APT_PACKAGES += libmupdf-dev libmujs-dev libgumbo-dev libjbig2dec0-dev libopenjp2-7-dev \
  libjpeg-dev libfreetype-dev libharfbuzz-dev zlib1g-dev libseccomp-dev
