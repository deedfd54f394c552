#include "flopscope/plan/serving_input.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "flopscope/util/csv_table.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/text.h"

namespace flopscope {
namespace {

static_assert(kServingMaxTraceRows == static_cast<int64_t>(limits::kCsvRows), "trace rows: the CSV reader's limit");

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    const size_t end = s.find(sep, pos);
    out.push_back(s.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) return out;
    pos = end + 1;
  }
}

Result<int64_t> parse_token_count(std::string_view text, std::string_view field) {
  int64_t v = 0;
  const std::string t = trim(text);
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size() || v < 1 || v > kServingMaxTokens) {
    return bad_input(fmt::format("{}: expected an integer from 1 to {}, got '{}'", field, kServingMaxTokens, printable(t)));
  }
  return v;
}

}  // namespace

Result<LengthDistribution> parse_length_distribution(std::string_view text, std::string_view field) {
  LengthDistribution d;
  const std::string t = trim(text);
  auto parts = split(t, ':');
  const std::string form = fmt::format("{}: expected N, uniform:LO:HI or exp:MEAN (N from 1 to {}), got '{}'", field,
                                       kServingMaxTokens, printable(t));
  auto number = [&](const std::string& s) -> Result<int64_t> {
    auto v = parse_token_count(s, field);
    if (!v) return bad_input(form);
    return *v;
  };
  if (parts.size() == 1) {
    auto v = number(parts[0]);
    if (!v) return v.error();
    d.value = *v;
    return d;
  }
  if (parts.size() == 3 && parts[0] == "uniform") {
    auto lo = number(parts[1]);
    auto hi = number(parts[2]);
    if (!lo || !hi || *lo > *hi) return bad_input(form);
    d.kind = LengthDistribution::Kind::kUniform;
    d.lo = *lo;
    d.hi = *hi;
    d.value = (d.lo + d.hi) / 2;
    return d;
  }
  if (parts.size() == 2 && (parts[0] == "exp" || parts[0] == "exponential")) {
    auto v = number(parts[1]);
    if (!v) return v.error();
    d.kind = LengthDistribution::Kind::kExponential;
    d.value = *v;
    return d;
  }
  return bad_input(form);
}

Result<std::vector<ServingRequest>> parse_serving_trace(std::string_view text, std::string_view origin) {
  std::vector<ServingRequest> out;
  auto arrival_of = [&](std::string_view s, int line) -> Result<double> {
    const std::string t = trim(s);
    char* end = nullptr;
    const double v = t.empty() ? -1 : std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v) || v < 0 || v > kServingMaxArrivalSeconds) {
      return bad_input(fmt::format("{}:{}: arrival_s: expected seconds from 0 to {:g}, got '{}'", origin, line,
                                   kServingMaxArrivalSeconds, printable(t)));
    }
    return v;
  };
  auto length_of = [&](std::string_view s, int line, const char* key) -> Result<int64_t> {
    auto v = parse_token_count(s, fmt::format("{}:{}: {}", origin, line, key));
    if (!v) return v.error();
    return *v;
  };
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    // JSONL: one object per line.
    int line = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      const std::string row = trim(text.substr(pos, end - pos));
      pos = end + 1;
      ++line;
      if (!row.empty()) {
        if (static_cast<int64_t>(out.size()) >= kServingMaxTraceRows) {
          return bad_input(fmt::format("{}:{}: expected at most {} rows", origin, line, kServingMaxTraceRows));
        }
        auto j = nlohmann::json::parse(row, nullptr, false, false);
        if (j.is_discarded() || !j.is_object()) {
          return bad_input(fmt::format("{}:{}: expected a JSON object with arrival_s, prompt, output", origin, line));
        }
        ServingRequest r;
        for (const char* key : {"arrival_s", "prompt", "output"}) {
          if (!j.contains(key)) return bad_input(fmt::format("{}:{}: {}: missing", origin, line, key));
          const auto& v = j[key];
          if (!v.is_number()) {
            return bad_input(fmt::format("{}:{}: {}: expected a number, got {}", origin, line, key, printable(v.dump())));
          }
          const std::string s = v.dump();
          if (std::string_view(key) == "arrival_s") {
            auto a = arrival_of(s, line);
            if (!a) return a.error();
            r.seconds_arrival = *a;
          } else {
            auto n = length_of(s, line, key);
            if (!n) return n.error();
            (std::string_view(key) == "prompt" ? r.prompt : r.output) = *n;
          }
        }
        out.push_back(r);
      }
      if (end == text.size()) break;
    }
  } else {
    auto csv = CsvTable::parse(text, origin);
    if (!csv) return csv.error();
    auto ca = csv->column({"arrival_s"});
    auto cp = csv->column({"prompt"});
    auto co = csv->column({"output"});
    if (!ca || !cp || !co) return bad_input(fmt::format("{}: header: expected columns arrival_s, prompt, output", origin));
    for (const CsvRow& row : csv->rows()) {
      ServingRequest r;
      auto a = arrival_of(csv->text(row, *ca), row.line);
      if (!a) return a.error();
      auto p = length_of(csv->text(row, *cp), row.line, "prompt");
      if (!p) return p.error();
      auto o = length_of(csv->text(row, *co), row.line, "output");
      if (!o) return o.error();
      out.push_back({*a, *p, *o});
    }
  }
  if (out.empty()) return bad_input(fmt::format("{}: expected at least one request, got none", origin));
  std::stable_sort(out.begin(), out.end(),
                   [](const ServingRequest& a, const ServingRequest& b) { return a.seconds_arrival < b.seconds_arrival; });
  return out;
}

Result<std::vector<LoadPoint>> parse_load_curve(std::string_view text, std::string_view origin) {
  auto table = CsvTable::parse(text, origin);
  if (!table) return table.error();
  auto tcol = table->column({"time_s"});
  auto rcol = table->column({"rps"});
  if (!tcol || !rcol) {
    return bad_input(fmt::format("{}:1: expected a header with columns time_s,rps, got '{}'", origin,
                                 printable(fmt::format("{}", fmt::join(table->header(), ",")))));
  }
  const auto& rows = table->rows();
  if (rows.size() < 2) {
    return bad_input(fmt::format("{}: expected at least 2 rows (the last row's rate holds for the interval before it), got {}",
                                 origin, rows.size()));
  }
  if (static_cast<int64_t>(rows.size()) > kAutoscaleMaxLoadRows) {
    return bad_input(fmt::format("{}: expected at most {} rows, got {}", origin, kAutoscaleMaxLoadRows, rows.size()));
  }
  std::vector<LoadPoint> out;
  out.reserve(rows.size());
  for (const CsvRow& row : rows) {
    const size_t need = std::max(*tcol, *rcol) + 1;
    if (row.fields.size() < need) {
      return bad_input(fmt::format("{}:{}: expected {} columns (time_s,rps), got {}", origin, row.line,
                                   table->header().size(), row.fields.size()));
    }
    LoadPoint p;
    if (!parse_number_in_range(row.fields[*tcol], 0, kAutoscaleMaxSeconds, &p.seconds)) {
      return bad_input(fmt::format("{}:{}: column {} 'time_s': expected seconds from 0 to {:g}, got '{}'", origin,
                                   row.line, *tcol + 1, kAutoscaleMaxSeconds, printable(row.fields[*tcol])));
    }
    if (!parse_number_in_range(row.fields[*rcol], 0, kAutoscaleMaxRps, &p.rps)) {
      return bad_input(fmt::format("{}:{}: column {} 'rps': expected a rate from 0 to {:g} requests per second, got '{}'",
                                   origin, row.line, *rcol + 1, kAutoscaleMaxRps, printable(row.fields[*rcol])));
    }
    if (!out.empty() && !(p.seconds > out.back().seconds)) {
      return bad_input(fmt::format("{}:{}: column {} 'time_s': expected a time after the previous row's {:g}, got '{}'",
                                   origin, row.line, *tcol + 1, out.back().seconds, printable(row.fields[*tcol])));
    }
    out.push_back(p);
  }
  return out;
}

double load_end_seconds(const std::vector<LoadPoint>& load) {
  if (load.size() < 2) return load.empty() ? 0 : load.back().seconds;
  const double last = load[load.size() - 1].seconds;
  return last + (last - load[load.size() - 2].seconds);
}

double load_rate_at(const std::vector<LoadPoint>& load, double seconds) {
  if (load.empty() || seconds < load.front().seconds || seconds >= load_end_seconds(load)) return 0;
  auto it = std::upper_bound(load.begin(), load.end(), seconds,
                             [](double t, const LoadPoint& p) { return t < p.seconds; });
  return std::prev(it)->rps;
}

}  // namespace flopscope
