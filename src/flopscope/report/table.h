// Aligned text tables for human output (design.md: aligned tables with units).
#pragma once

#include <string>
#include <vector>

namespace flopscope {

/// A table of rows; columns are left-aligned unless marked numeric (right-aligned).
///
/// **Example**:
///
///     Table t({"component", "FLOPs"}, {false, true});
///     t.add({"mlp", "1.20 TFLOP"});
///     std::cout << t.render();
class Table {
 public:
  explicit Table(std::vector<std::string> header, std::vector<bool> right_aligned = {});
  void add(std::vector<std::string> row);
  /// A blank-free separator row drawn as dashes.
  void add_rule();
  /// Renders with two spaces between columns; `indent` spaces before each line.
  std::string render(int indent = 0) const;
  /// The rows alone, aligned among themselves: no header, no rule under it (a block of
  /// "name  value  note" lines).
  std::string render_body(int indent = 0) const;
  size_t rows() const { return rows_.size(); }

 private:
  std::string render_lines(int indent, bool with_header) const;
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;  // an empty row is a rule
};

/// A table whose first column is text and the others numbers (right-aligned), rendered.
std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         int indent = 0);

/// "key: value" lines with the keys padded to one width.
std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields, int indent = 0);

}  // namespace flopscope
