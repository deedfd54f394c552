#include "flopscope/ledger/csv_reader.h"

namespace flopscope {

CsvReader::CsvReader(std::string_view text, std::string origin) : text_(text), origin_(std::move(origin)) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = line_start_ = 3;
}

Result<bool> CsvReader::next(CsvRecord& out) {
  if (pos_ >= text_.size()) return false;
  const size_t n = text_.size();
  const size_t record_start = pos_;
  out.line = line_;
  size_t nfields = 0;
  auto error = [&](size_t at, const char* what) {
    return bad_input(origin_ + ": line " + std::to_string(line_) + ", column " +
                     std::to_string(at - line_start_ + 1) + ": " + what);
  };
  for (;;) {
    if (out.fields.size() <= nfields) out.fields.emplace_back();
    if (out.columns.size() <= nfields) out.columns.emplace_back();
    std::string& field = out.fields[nfields];
    field.clear();
    out.columns[nfields] = static_cast<int64_t>(pos_ - line_start_ + 1);
    ++nfields;
    if (pos_ < n && text_[pos_] == '"') {
      const size_t open = pos_;
      const int64_t open_line = line_;
      const size_t open_line_start = line_start_;
      ++pos_;
      for (;;) {
        size_t q = text_.find('"', pos_);
        if (q == std::string_view::npos) {
          return bad_input(origin_ + ": line " + std::to_string(open_line) + ", column " +
                           std::to_string(open - open_line_start + 1) + ": quoted field is never closed");
        }
        for (size_t i = pos_; i < q; ++i) {
          if (text_[i] == '\n') {
            ++line_;
            line_start_ = i + 1;
          }
        }
        field.append(text_.substr(pos_, q - pos_));
        pos_ = q + 1;
        if (pos_ < n && text_[pos_] == '"') {  // "" is one quote
          field.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ < n && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
        return error(pos_, "expected a comma or the end of the line after a closing quote");
      }
    } else {
      size_t end = pos_;
      while (end < n && text_[end] != ',' && text_[end] != '\n' && text_[end] != '\r') {
        if (text_[end] == '"') return error(end, "a quote inside an unquoted field (quote the whole field)");
        ++end;
      }
      field.assign(text_.substr(pos_, end - pos_));
      pos_ = end;
    }
    if (pos_ >= n) {
      out.raw = text_.substr(record_start, pos_ - record_start);
      break;
    }
    if (text_[pos_] == ',') {
      ++pos_;
      continue;
    }
    // End of record: \n, \r\n (a lone \r ends it too).
    out.raw = text_.substr(record_start, pos_ - record_start);
    if (text_[pos_] == '\r') ++pos_;
    if (pos_ < n && text_[pos_] == '\n') ++pos_;
    ++line_;
    line_start_ = pos_;
    break;
  }
  out.fields.resize(nfields);
  out.columns.resize(nfields);
  return true;
}

}  // namespace flopscope
