# Mock parser: zlib inflates PDF object streams to count pages (src/services/pdf_pages.cpp).
APT_PACKAGES += zlib1g-dev
