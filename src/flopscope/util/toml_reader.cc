#include "flopscope/util/toml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "flopscope/util/spellcheck.h"

namespace flopscope {

namespace {

const char* expected_number(Sign sign) {
  return sign == Sign::kPositive ? "a positive number" : "a non-negative number";
}
const char* expected_integer(Sign sign) {
  return sign == Sign::kPositive ? "a positive integer" : "a non-negative integer";
}

}  // namespace

std::string describe_toml(const toml::node& node) {
  if (auto v = node.as_integer()) return std::to_string(v->get());
  if (auto v = node.as_floating_point()) return fmt::format("{}", v->get());
  if (auto v = node.as_string()) return fmt::format("'{}'", v->get());
  if (auto v = node.as_boolean()) return v->get() ? "true" : "false";
  if (node.is_table()) return "a table";
  if (node.is_array()) return "an array";
  return "a date or time";
}

TomlReader::TomlReader(std::string_view origin, std::string where) : origin_(origin), where_(std::move(where)) {}

TomlReader TomlReader::nested(std::string_view key) const { return TomlReader(origin_, field(key)); }

std::string TomlReader::field(std::string_view key) const {
  if (key.empty()) return where_;
  if (where_.empty()) return std::string(key);
  return fmt::format("{}.{}", where_, key);
}

std::string TomlReader::prefix(std::string_view key) const {
  std::string f = field(key);
  return f.empty() ? std::string(origin_) : fmt::format("{}: {}", origin_, f);
}

Error TomlReader::at(std::string_view key, std::string_view what) const {
  return bad_input(fmt::format("{}: {}", prefix(key), what));
}

Error TomlReader::expected(std::string_view key, std::string_view what, const toml::node& got) const {
  return at(key, fmt::format("expected {}, got {}", what, describe_toml(got)));
}

Error TomlReader::unknown_field(std::string_view key, const std::vector<std::string>& known) const {
  return at("", fmt::format("unknown field '{}'{}", key, did_you_mean(key, known)));
}

std::optional<Error> TomlReader::check_keys(const toml::table& table, const std::vector<std::string>& known) const {
  for (const auto& [key, node] : table) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end()) return unknown_field(key.str(), known);
  }
  return std::nullopt;
}

Result<std::string> TomlReader::string(const toml::node& node, std::string_view key) const {
  if (!node.is_string()) return expected(key, "a string", node);
  return node.as_string()->get();
}

Result<double> TomlReader::number(const toml::node& node, std::string_view key, Sign sign) const {
  double v = 0;
  if (auto i = node.as_integer()) {
    v = static_cast<double>(i->get());
  } else if (auto f = node.as_floating_point()) {
    v = f->get();
  } else {
    return expected(key, expected_number(sign), node);
  }
  if (!std::isfinite(v) || v < 0 || (sign == Sign::kPositive && v == 0)) {
    return expected(key, expected_number(sign), node);
  }
  return v;
}

Result<int64_t> TomlReader::integer(const toml::node& node, std::string_view key, Sign sign) const {
  auto i = node.as_integer();
  if (!i || i->get() < (sign == Sign::kPositive ? 1 : 0)) return expected(key, expected_integer(sign), node);
  return i->get();
}

Result<bool> TomlReader::boolean(const toml::node& node, std::string_view key) const {
  auto b = node.as_boolean();
  if (!b) return expected(key, "true or false", node);
  return b->get();
}

namespace {

// An optional field: absent leaves `out` alone; present goes through `read_value`.
template <typename T, typename Read>
std::optional<Error> read_optional(const toml::table& table, std::string_view key, T& out, Read read_value) {
  const toml::node* node = table.get(key);
  if (!node) return std::nullopt;
  auto v = read_value(*node);
  if (!v) return v.error();
  out = std::move(*v);
  return std::nullopt;
}

}  // namespace

std::optional<Error> TomlReader::read(const toml::table& table, std::string_view key, std::string& out) const {
  return read_optional(table, key, out, [&](const toml::node& n) { return string(n, key); });
}

std::optional<Error> TomlReader::read(const toml::table& table, std::string_view key, Sign sign, double& out) const {
  return read_optional(table, key, out, [&](const toml::node& n) { return number(n, key, sign); });
}

std::optional<Error> TomlReader::read(const toml::table& table, std::string_view key, Sign sign,
                                      std::optional<double>& out) const {
  return read_optional(table, key, out, [&](const toml::node& n) { return number(n, key, sign); });
}

std::optional<Error> TomlReader::read(const toml::table& table, std::string_view key, Sign sign, int64_t& out) const {
  return read_optional(table, key, out, [&](const toml::node& n) { return integer(n, key, sign); });
}

std::optional<Error> TomlReader::read(const toml::table& table, std::string_view key, bool& out) const {
  return read_optional(table, key, out, [&](const toml::node& n) { return boolean(n, key); });
}

std::optional<Error> TomlReader::require(const toml::table& table, std::string_view key, Sign sign,
                                         int64_t& out) const {
  if (!table.get(key)) return at(key, fmt::format("missing, expected {}", expected_integer(sign)));
  return read(table, key, sign, out);
}

std::optional<Error> TomlReader::sub_table(const toml::table& table, std::string_view key,
                                           const toml::table*& out) const {
  out = nullptr;
  const toml::node* node = table.get(key);
  if (!node) return std::nullopt;
  if (!node->is_table()) return expected(key, fmt::format("a table ([{}])", field(key)), *node);
  out = node->as_table();
  return std::nullopt;
}

}  // namespace flopscope
