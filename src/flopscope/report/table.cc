#include "flopscope/report/table.h"

#include <algorithm>

namespace flopscope {

namespace {
// Display width of UTF-8 text: count code points, not bytes.
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}
}  // namespace

Table::Table(std::vector<std::string> header, std::vector<bool> right_aligned)
    : header_(std::move(header)), right_(std::move(right_aligned)) {
  right_.resize(header_.size(), false);
}

void Table::add(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

void Table::add_rule() { rows_.emplace_back(); }

std::string Table::render(int indent) const { return render_lines(indent, true); }

std::string Table::render_body(int indent) const { return render_lines(indent, false); }

std::string Table::render_lines(int indent, bool with_header) const {
  std::vector<size_t> width(header_.size(), 0);
  if (with_header) {
    for (size_t c = 0; c < header_.size(); ++c) width[c] = display_width(header_[c]);
  }
  for (const auto& r : rows_) {
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], display_width(r[c]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& r) {
    std::string l(static_cast<size_t>(indent), ' ');
    for (size_t c = 0; c < header_.size(); ++c) {
      const std::string& cell = c < r.size() ? r[c] : std::string();
      std::string pad(width[c] - display_width(cell), ' ');
      l += right_[c] ? pad + cell : cell + (c + 1 < header_.size() ? pad : "");
      if (c + 1 < header_.size()) l += "  ";
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  if (with_header) line(header_);
  size_t total = 0;
  for (size_t w : width) total += w;
  total += 2 * (width.empty() ? 0 : width.size() - 1);
  std::string rule = std::string(static_cast<size_t>(indent), ' ') + std::string(total, '-') + "\n";
  if (with_header) out += rule;
  for (const auto& r : rows_) {
    if (r.empty()) out += rule;
    else line(r);
  }
  return out;
}

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         int indent) {
  std::vector<bool> right(header.size(), true);
  if (!right.empty()) right[0] = false;
  Table t(header, right);
  for (const auto& r : rows) t.add(r);
  return t.render(indent);
}

std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields, int indent) {
  size_t w = 0;
  for (const auto& [k, v] : fields) w = std::max(w, display_width(k));
  std::string out;
  for (const auto& [k, v] : fields) {
    out += std::string(static_cast<size_t>(indent), ' ') + k + ":" + std::string(w - display_width(k) + 1, ' ') + v + "\n";
  }
  return out;
}

}  // namespace flopscope
