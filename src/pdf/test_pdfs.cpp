#include "pdf/test_pdfs.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace ingestd::pdf::testing {

std::vector<std::filesystem::path> RManuals() {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::is_directory(kRManualDir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(kRManualDir)) {
    if (e.path().extension() == ".pdf" && e.path().filename() != "fullrefman.pdf") {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string BuildPdf(const std::vector<std::string>& objects, const std::string& trailer_extra) {
  std::string out = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  size_t xref = out.size();
  out += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R " +
         trailer_extra + " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return out;
}

std::string StreamObject(const std::string& data, const std::string& extra) {
  return "<< /Length " + std::to_string(data.size()) + " " + extra + " >>\nstream\n" + data +
         "\nendstream";
}

std::string DeflateRepeated(const std::string& unit, size_t count) {
  z_stream z{};
  deflateInit(&z, Z_BEST_COMPRESSION);
  std::string out;
  std::string in;
  while (in.size() < (1u << 20)) in += unit;  // feed ~1 MB at a time
  size_t total = unit.size() * count;
  char buf[1 << 16];
  for (size_t fed = 0; fed < total;) {
    size_t n = std::min(in.size(), total - fed);
    fed += n;
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(n);
    int flush = fed == total ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      deflate(&z, flush);
      out.append(buf, sizeof buf - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

std::string PlacedTextPdf(const std::vector<std::vector<PlacedText>>& pages) {
  // 1 catalog, 2 pages, 3 font, then (page, contents) pairs.
  std::vector<std::string> objects = {"<< /Type /Catalog /Pages 2 0 R >>", "",
                                      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string kids;
  for (const std::vector<PlacedText>& page : pages) {
    int page_obj = static_cast<int>(objects.size()) + 1;
    kids += std::to_string(page_obj) + " 0 R ";
    std::string content;
    for (const PlacedText& t : page) {
      content += "BT /F1 " + std::to_string(t.size) + " Tf " + std::to_string(t.x) + " " +
                 std::to_string(t.y) + " Td (" + t.text + ") Tj ET\n";
    }
    objects.push_back(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
        "<< /F1 3 0 R >> >> /Contents " +
        std::to_string(page_obj + 1) + " 0 R >>");
    objects.push_back(StreamObject(content));
  }
  objects[1] =
      "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages.size()) + " >>";
  return BuildPdf(objects);
}

std::string TextPdf(const std::vector<std::vector<std::string>>& pages, double font_size) {
  std::vector<std::vector<PlacedText>> placed;
  for (const std::vector<std::string>& lines : pages) {
    placed.emplace_back();
    double y = 720;
    for (const std::string& line : lines) {
      placed.back().push_back({72, y, font_size, line});
      y -= font_size * 1.3;
    }
  }
  return PlacedTextPdf(placed);
}

bool WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(f);
}

}  // namespace ingestd::pdf::testing
