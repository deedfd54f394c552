// The catalogs of data/, embedded into the binary at build time (cmake/embed_data.cmake),
// so the tool works from any directory. A user file can override any of them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flopscope::data {

struct EmbeddedFile {
  std::string_view path;      ///< relative to data/, e.g. "hardware/accelerators.toml"
  std::string_view contents;
};

/// Every embedded file, sorted by path.
const std::vector<EmbeddedFile>& embedded_files();

/// The contents of data/<path>, or nullopt.
std::optional<std::string_view> find_embedded(std::string_view path);

/// Files whose path starts with `prefix` (e.g. "models/").
std::vector<EmbeddedFile> embedded_under(std::string_view prefix);

/// Prints "flopscope: <message>" on stderr and aborts: an embedded catalog that is missing
/// or does not parse is a build error (each has a test), never bad input.
[[noreturn]] void embedded_catalog_broken(const std::string& message);

/// The catalog embedded at data/<path>, parsed by `parse(text, "data/<path>")` (a Result).
template <typename Parse>
auto parse_embedded(std::string_view path, Parse parse) {
  const std::string origin = "data/" + std::string(path);
  auto text = find_embedded(path);
  if (!text) embedded_catalog_broken(origin + ": not embedded in this build");
  auto parsed = parse(*text, origin);
  if (!parsed) embedded_catalog_broken(parsed.error().message);
  return std::move(*parsed);
}

}  // namespace flopscope::data
