#include "flopscope/util/toml_parse.h"

#include <fmt/format.h>

#include <algorithm>

namespace flopscope {

Result<toml::table> parse_toml(std::string_view text, std::string_view origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return bad_input(fmt::format("{}:{}:{}: invalid TOML: {}", origin, e.source().begin.line, e.source().begin.column,
                                 e.description()));
  }
}

std::vector<std::string> keys_in_file_order(const toml::table& table) {
  std::vector<std::pair<toml::source_position, std::string>> order;
  for (const auto& [key, value] : table) order.emplace_back(value.source().begin, std::string(key.str()));
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.column < b.first.column;
  });
  std::vector<std::string> keys;
  keys.reserve(order.size());
  for (auto& [pos, key] : order) keys.push_back(std::move(key));
  return keys;
}

}  // namespace flopscope
