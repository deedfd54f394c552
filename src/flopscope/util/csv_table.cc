#include "flopscope/util/csv_table.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

#include "flopscope/util/limits.h"
#include "flopscope/util/text.h"

namespace flopscope {

namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Splits one line into fields; returns false on an unterminated quote.
bool split_line(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && trim(field).empty()) {
      quoted = was_quoted = true;
      field.clear();
    } else if (c == ',') {
      out->push_back(was_quoted ? field : trim(field));
      field.clear();
      was_quoted = false;
    } else {
      field.push_back(c);
    }
  }
  if (quoted) return false;
  out->push_back(was_quoted ? field : trim(field));
  return true;
}

}  // namespace

Result<CsvTable> CsvTable::parse(std::string_view text, std::string_view origin) {
  CsvTable t;
  t.origin_ = std::string(origin);
  // A UTF-8 byte-order mark (spreadsheet exports) is not part of the first column's name.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  int line_no = 0;
  size_t pos = 0;
  std::vector<std::string> fields;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string stripped = trim(line);
    if (stripped.empty() || stripped[0] == '#') {
      if (end == text.size()) break;
      continue;
    }
    if (!split_line(line, &fields)) return bad_input(fmt::format("{}:{}: unterminated quoted field", origin, line_no));
    if (t.header_.empty()) {
      for (auto& f : fields) f = printable(f);
      t.header_ = fields;
      for (size_t i = 0; i < t.header_.size(); ++i) {
        if (t.header_[i].empty()) return bad_input(fmt::format("{}:{}: header: column {} has no name", origin, line_no, i + 1));
      }
    } else if (fields.size() != t.header_.size()) {
      return bad_input(fmt::format("{}:{}: expected {} fields (as in the header), got {}", origin, line_no,
                                   t.header_.size(), fields.size()));
    } else {
      if (t.rows_.size() >= limits::kCsvRows) {
        return bad_input(fmt::format("{}:{}: expected at most {} rows (docs/limits.md)", origin, line_no, limits::kCsvRows));
      }
      // Cells are echoed in tables and errors: no control characters, valid UTF-8.
      for (auto& f : fields) f = printable(f);
      t.rows_.push_back({line_no, fields});
    }
    if (end == text.size()) break;
  }
  if (t.header_.empty()) return bad_input(fmt::format("{}: empty file: expected a header row", origin));
  return t;
}

std::optional<size_t> CsvTable::column(std::initializer_list<std::string_view> names) const {
  for (auto name : names) {
    for (size_t i = 0; i < header_.size(); ++i) {
      if (iequals(header_[i], name)) return i;
    }
  }
  return std::nullopt;
}

const std::string& CsvTable::text(const CsvRow& row, size_t col) const { return row.fields.at(col); }

Result<double> CsvTable::number(const CsvRow& row, size_t col, bool allow_zero) const {
  const std::string& s = row.fields.at(col);
  const char* what = allow_zero ? "a non-negative number" : "a positive number";
  auto fail = [&] {
    return bad_input(fmt::format("{}:{}: column '{}': expected {}, got '{}'", origin_, row.line, header_[col], what, s));
  };
  if (s.empty()) return fail();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return fail();
  if (v < 0 || (v == 0 && !allow_zero)) return fail();
  return v;
}

}  // namespace flopscope
