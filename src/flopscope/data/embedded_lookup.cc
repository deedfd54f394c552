#include "flopscope/data/embedded.h"

#include <cstdio>
#include <cstdlib>

namespace flopscope::data {

std::optional<std::string_view> find_embedded(std::string_view path) {
  for (const auto& f : embedded_files()) {
    if (f.path == path) return f.contents;
  }
  return std::nullopt;
}

std::vector<EmbeddedFile> embedded_under(std::string_view prefix) {
  std::vector<EmbeddedFile> out;
  for (const auto& f : embedded_files()) {
    if (f.path.substr(0, prefix.size()) == prefix) out.push_back(f);
  }
  return out;
}

void embedded_catalog_broken(const std::string& message) {
  std::fprintf(stderr, "flopscope: %s\n", message.c_str());
  std::abort();
}

}  // namespace flopscope::data
