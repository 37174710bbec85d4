// The inputs a replay or a seed list names: files, and every file under a directory (walked
// recursively, .gitkeep skipped; a missing path is skipped), sorted.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace ingestd::fuzz {

inline std::vector<std::filesystem::path> InputFiles(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const std::string& arg : paths) {
    const fs::path p(arg);
    if (fs::is_regular_file(p)) files.push_back(p);
    if (!fs::is_directory(p)) continue;
    for (const auto& e : fs::recursive_directory_iterator(p)) {
      if (e.is_regular_file() && e.path().filename() != ".gitkeep") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

inline std::string ReadInput(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace ingestd::fuzz
