#include "flopscope/plan/drift.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <limits>

#include "flopscope/util/statistics.h"

namespace flopscope {

Result<DriftDetector> parse_drift_detector(std::string_view text) {
  if (text == "page-hinkley") return DriftDetector::kPageHinkley;
  if (text == "adwin") return DriftDetector::kAdwin;
  return bad_input(fmt::format("--detector: expected page-hinkley or adwin, got '{}'", text));
}

const char* drift_detector_name(DriftDetector d) {
  switch (d) {
    case DriftDetector::kPageHinkley: return "page-hinkley";
    case DriftDetector::kAdwin: return "adwin";
    case DriftDetector::kPsi: return "psi";
  }
  return "?";
}

Result<DriftDirection> parse_drift_direction(std::string_view text) {
  if (text == "drop") return DriftDirection::kDrop;
  if (text == "rise") return DriftDirection::kRise;
  if (text == "both") return DriftDirection::kBoth;
  return bad_input(fmt::format("--direction: expected drop, rise or both, got '{}'", text));
}

const char* drift_direction_name(DriftDirection d) {
  switch (d) {
    case DriftDirection::kDrop: return "drop";
    case DriftDirection::kRise: return "rise";
    case DriftDirection::kBoth: return "both";
  }
  return "?";
}

Result<double> parse_time_unit(std::string_view text) {
  std::string_view t = text;
  if (t.size() > 1 && t.back() == 's') t.remove_suffix(1);
  if (t == "second") return 1.0;
  if (t == "minute") return 60.0;
  if (t == "hour") return 3600.0;
  if (t == "day") return 86400.0;
  if (t == "week") return 7 * 86400.0;
  return bad_input(fmt::format("--time-unit: expected second, minute, hour, day or week, got '{}'", text));
}

namespace {

// strtod over the whole cell: no trailing text, finite; hex and "inf"/"nan" refused.
std::optional<double> plain_number(const std::string& s) {
  if (s.empty() || s.find_first_of("xXiInN") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

Result<double> drift_cell_number(const CsvTable& t, const CsvRow& row, size_t col) {
  const std::string& s = t.text(row, col);
  if (auto v = plain_number(s)) return *v;
  return bad_input(fmt::format("{}:{}: column '{}': expected a number, got '{}'", t.origin(), row.line, t.header()[col], s));
}

bool drift_times_are_iso(const CsvTable& t) {
  return !t.rows().empty() && !plain_number(t.text(t.rows().front(), 0)).has_value();
}

Result<double> drift_time_cell(const CsvTable& t, const CsvRow& row, bool iso, IsoTimeParser parse_iso) {
  const std::string& time = t.text(row, 0);
  std::optional<double> tv;
  if (iso) {
    if (auto p = parse_iso(time)) tv = *p;
  } else {
    tv = plain_number(time);
  }
  if (tv) return *tv;
  return bad_input(fmt::format("{}:{}: column '{}': expected {} (as in the first row), got '{}'", t.origin(), row.line,
                               t.header()[0], iso ? "an ISO 8601 date or date-time" : "a number", time));
}

Result<DriftSeries> read_drift_series(const CsvTable& t, std::string_view metric, IsoTimeParser parse_iso) {
  const auto& header = t.header();
  if (header.size() < 2) {
    return bad_input(fmt::format("{}: expected a time column and at least one metric column, got {} column", t.origin(),
                                 header.size()));
  }
  size_t col = 0;
  for (size_t i = 1; i < header.size(); ++i) {
    if (header[i] == metric) col = i;
  }
  if (col == 0) {
    std::string names;
    for (size_t i = 1; i < header.size(); ++i) names += (i > 1 ? ", " : "") + header[i];
    return bad_input(fmt::format("{}: --metric: no column '{}'; the metric columns are: {}", t.origin(), metric, names));
  }
  if (t.rows().empty()) return bad_input(fmt::format("{}: no rows after the header", t.origin()));
  DriftSeries s;
  s.origin = t.origin();
  s.time_column = header[0];
  s.metric = header[col];
  s.iso_times = drift_times_are_iso(t);
  for (const CsvRow& row : t.rows()) {
    const std::string& time = t.text(row, 0);
    auto tv = drift_time_cell(t, row, s.iso_times, parse_iso);
    if (!tv) return tv.error();
    if (!s.time_values.empty() && *tv < s.time_values.back()) {
      return bad_input(fmt::format("{}:{}: time '{}' is before the previous row's '{}': expected rows in time order",
                                   t.origin(), row.line, time, s.times.back()));
    }
    auto v = drift_cell_number(t, row, col);
    if (!v) return v.error();
    s.times.push_back(time);
    s.lines.push_back(row.line);
    s.time_values.push_back(*tv);
    s.values.push_back(*v);
  }
  return s;
}

Status check_page_hinkley(const PageHinkleyOptions& o, const DriftSeries& s) {
  if (!(o.delta >= 0 && o.delta <= 1e3)) {
    return bad_input(fmt::format("--ph-delta: expected standard deviations in [0, 1000], got {}", o.delta));
  }
  if (!(o.lambda > 0 && o.lambda <= 1e6)) {
    return bad_input(fmt::format("--ph-lambda: expected a positive number of standard deviations up to 1e6, got {}", o.lambda));
  }
  if (!(o.alpha > 0 && o.alpha <= 1)) return bad_input(fmt::format("--ph-alpha: expected a factor in (0, 1], got {}", o.alpha));
  if (o.min_rows < 2 || o.min_rows > 100000) {
    return bad_input(fmt::format("--ph-min-rows: expected warm-up rows from 2 to 100000, got {}", o.min_rows));
  }
  const size_t need = static_cast<size_t>(o.min_rows) + 1;
  if (s.values.size() < need) {
    return bad_input(fmt::format("{}: {} rows of '{}': page-hinkley needs at least {} (--ph-min-rows {} warm-up rows, "
                                 "then one to test)",
                                 s.origin, s.values.size(), s.metric, need, o.min_rows));
  }
  return {};
}

Status check_adwin(const AdwinOptions& o, const DriftSeries& s) {
  if (!(o.delta > 0 && o.delta < 1)) return bad_input(fmt::format("--adwin-delta: expected a probability in (0, 1), got {}", o.delta));
  if (o.max_buckets < 2 || o.max_buckets > 1000) {
    return bad_input(fmt::format("ADWIN buckets: expected 2 to 1000, got {}", o.max_buckets));
  }
  if (o.min_window < 1 || o.min_window > 100000) {
    return bad_input(fmt::format("ADWIN min window: expected 1 to 100000 rows, got {}", o.min_window));
  }
  const size_t need = 2 * static_cast<size_t>(o.min_window);
  if (s.values.size() < need) {
    return bad_input(fmt::format("{}: {} rows of '{}': adwin needs at least {} ({} on each side of a split)", s.origin,
                                 s.values.size(), s.metric, need, o.min_window));
  }
  return {};
}

// ------------------------------------------------------------------------ Page-Hinkley

namespace {
// The median of |x_t - x_{t-1}| of normal noise is 0.954 sigma (sqrt(2) x 0.6745), the
// constant Montgomery gives for the median moving range of an individuals chart.
constexpr double kMedianMovingRangeD4 = 0.954;
}  // namespace

std::vector<DriftChange> detect_page_hinkley(const std::vector<double>& x, const PageHinkleyOptions& o,
                                             DriftDirection direction) {
  std::vector<DriftChange> out;
  const size_t n = x.size();
  const size_t warm = static_cast<size_t>(o.min_rows);
  size_t start = 0;
  while (start + warm < n) {
    // Warm-up: the segment's mean, and its noise from the median moving range (a level shift
    // inside the warm-up, such as a retrain deployed there, does not inflate it).
    double mean = 0;
    for (size_t i = start; i < start + warm; ++i) mean += x[i];
    mean /= static_cast<double>(warm);
    std::vector<double> ranges;
    ranges.reserve(warm - 1);
    for (size_t i = start + 1; i < start + warm; ++i) ranges.push_back(std::abs(x[i] - x[i - 1]));
    double sigma = median(std::move(ranges)) / kMedianMovingRangeD4;
    // A warm-up without variation: any later difference is a change; the floor keeps the
    // statistic finite.
    sigma = std::max(sigma, 1e-9 * std::max(1.0, std::abs(mean)));
    const double delta = o.delta * sigma, lambda = o.lambda * sigma;
    double count = static_cast<double>(warm);
    // [0] rise, [1] drop.
    double m[2] = {0, 0}, m_min[2] = {0, 0};
    size_t row_min[2] = {start + warm - 1, start + warm - 1};
    size_t next = n;
    for (size_t t = start + warm; t < n; ++t) {
      count += 1;
      mean += (x[t] - mean) / count;
      m[0] = o.alpha * m[0] + (x[t] - mean - delta);
      m[1] = o.alpha * m[1] + (mean - x[t] - delta);
      for (int k = 0; k < 2; ++k) {
        if (m[k] < m_min[k]) {
          m_min[k] = m[k];
          row_min[k] = t;
        }
      }
      int fired = -1;
      double ph_best = 0;
      for (int k = 0; k < 2; ++k) {
        const DriftDirection dir = k == 0 ? DriftDirection::kRise : DriftDirection::kDrop;
        if (direction != DriftDirection::kBoth && direction != dir) continue;
        const double ph = m[k] - m_min[k];
        if (ph > lambda && ph > ph_best) {
          fired = k;
          ph_best = ph;
        }
      }
      if (fired >= 0) {
        DriftChange c;
        c.detector = DriftDetector::kPageHinkley;
        c.direction = fired == 0 ? DriftDirection::kRise : DriftDirection::kDrop;
        c.row = t;
        c.row_onset = std::min(t, row_min[fired] + 1);
        c.statistic = ph_best / sigma;
        c.threshold = o.lambda;
        out.push_back(c);
        next = t + 1;
        break;
      }
    }
    start = next;
  }
  return out;
}

// ------------------------------------------------------------------------------- ADWIN

namespace {

// One bucket of the exponential histogram: `n` rows, their sum and the sum of squared
// deviations from their mean.
struct Bucket {
  double n = 0, total = 0, var = 0;
};

// Adds b into a (Chan et al.'s pairwise update of the sum of squared deviations).
Bucket merged(const Bucket& a, const Bucket& b) {
  Bucket m;
  m.n = a.n + b.n;
  m.total = a.total + b.total;
  const double d = a.total / a.n - b.total / b.n;
  m.var = a.var + b.var + a.n * b.n / m.n * d * d;
  return m;
}

class Adwin {
 public:
  explicit Adwin(const AdwinOptions& o) : o_(o) {}

  // Adds one value; when the window shrank, returns the most significant split of the first
  // test (largest |mean0 - mean1| / eps_cut): the means on each side, eps_cut and the rows
  // on the newer side, which place the change.
  struct Cut {
    double mean_old, mean_new, eps, n_new;
  };
  std::optional<Cut> add(double v) {
    insert(v);
    std::optional<Cut> first;
    bool cut = true;
    while (cut && width_ > 2.0 * static_cast<double>(o_.min_window)) {
      cut = false;
      double n0 = 0, u0 = 0, best_ratio = 1;
      const double n = width_, u = total_;
      const double variance = var_ / n;
      const double min_w = static_cast<double>(o_.min_window);
      const double d = std::log(2.0 * std::log(n) / o_.delta);
      // From the oldest bucket (highest level, back of its row) to the newest.
      for (size_t lvl = levels_.size(); lvl-- > 0;) {
        const auto& row = levels_[lvl];
        for (size_t i = row.size(); i-- > 0;) {
          n0 += row[i].n;
          u0 += row[i].total;
          const double n1 = n - n0, u1 = u - u0;
          if (n0 < min_w || n1 < min_w) continue;
          const double m = 1.0 / (n0 - min_w + 1) + 1.0 / (n1 - min_w + 1);
          const double eps = std::sqrt(2.0 * m * variance * d) + 2.0 / 3.0 * d * m;
          const double mean0 = u0 / n0, mean1 = u1 / n1;
          const double ratio = std::abs(mean0 - mean1) / eps;
          if (ratio > 1) {
            cut = true;
            if (!first_test_done_ && ratio > best_ratio) {
              best_ratio = ratio;
              first = Cut{mean0, mean1, eps, n1};
            }
          }
        }
      }
      first_test_done_ = true;
      if (cut) drop_oldest();
    }
    first_test_done_ = false;
    return first;
  }
  double width() const { return width_; }

 private:
  void insert(double v) {
    if (width_ > 0) {
      const double mean = total_ / width_;
      var_ += width_ / (width_ + 1) * (v - mean) * (v - mean);
    }
    width_ += 1;
    total_ += v;
    if (levels_.empty()) levels_.emplace_back();
    levels_[0].push_front(Bucket{1, v, 0});
    // More than M buckets of a size: the two oldest become one of the next size, newer than
    // every bucket already there.
    for (size_t lvl = 0; lvl < levels_.size(); ++lvl) {
      if (levels_[lvl].size() <= static_cast<size_t>(o_.max_buckets)) break;
      Bucket a = levels_[lvl].back();
      levels_[lvl].pop_back();
      Bucket b = levels_[lvl].back();
      levels_[lvl].pop_back();
      if (lvl + 1 == levels_.size()) levels_.emplace_back();
      levels_[lvl + 1].push_front(merged(a, b));
    }
  }

  void drop_oldest() {
    auto& row = levels_.back();
    const Bucket b = row.back();
    row.pop_back();
    if (row.empty()) levels_.pop_back();
    const double rest_n = width_ - b.n;
    if (rest_n <= 0) {
      width_ = total_ = var_ = 0;
      return;
    }
    const double rest_total = total_ - b.total;
    const double d = b.total / b.n - rest_total / rest_n;
    var_ = std::max(0.0, var_ - b.var - b.n * rest_n / width_ * d * d);
    width_ = rest_n;
    total_ = rest_total;
  }

  AdwinOptions o_;
  bool first_test_done_ = false;
  std::vector<std::deque<Bucket>> levels_;  // [level][0 = newest]
  double width_ = 0, total_ = 0, var_ = 0;
};

}  // namespace

std::vector<DriftChange> detect_adwin(const std::vector<double>& x, const AdwinOptions& o, DriftDirection direction) {
  std::vector<DriftChange> out;
  if (x.empty()) return out;
  const auto [lo_it, hi_it] = std::minmax_element(x.begin(), x.end());
  const double lo = *lo_it, range = *hi_it - *lo_it;
  if (!(range > 0)) return out;  // a constant series has no change
  Adwin adwin(o);
  std::optional<size_t> last_row;
  for (size_t t = 0; t < x.size(); ++t) {
    auto cut = adwin.add((x[t] - lo) / range);
    if (!cut) continue;
    const size_t onset = t + 1 - static_cast<size_t>(cut->n_new);
    // The split lies before the last detection: the same change, seen again as the window
    // sheds the rows before it.
    if (last_row && onset <= *last_row) continue;
    const DriftDirection dir = cut->mean_new < cut->mean_old ? DriftDirection::kDrop : DriftDirection::kRise;
    last_row = t;
    if (direction != DriftDirection::kBoth && direction != dir) continue;
    DriftChange c;
    c.detector = DriftDetector::kAdwin;
    c.direction = dir;
    c.row = t;
    c.row_onset = onset;
    c.statistic = std::abs(cut->mean_new - cut->mean_old);
    c.threshold = cut->eps;
    out.push_back(c);
  }
  return out;
}

// ------------------------------------------------------------------------ segments, cadence

void fill_segment_means(const std::vector<double>& x, std::vector<DriftChange>& changes) {
  auto mean = [&x](size_t from, size_t to) -> std::optional<double> {
    if (to <= from || to > x.size()) return std::nullopt;
    double s = 0;
    for (size_t i = from; i < to; ++i) s += x[i];
    return s / static_cast<double>(to - from);
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    const size_t from = i == 0 ? 0 : changes[i - 1].row_onset;
    const size_t onset = changes[i].row_onset;
    const size_t to = i + 1 < changes.size() ? std::max(changes[i + 1].row_onset, onset + 1) : x.size();
    changes[i].mean_before = mean(from, onset);
    changes[i].mean_after = mean(onset, to);
  }
}

RetrainCadence retrain_cadence(double days_start, double days_end, const std::vector<double>& days_changes) {
  RetrainCadence c;
  c.changes = static_cast<int64_t>(days_changes.size());
  c.days_span = days_end - days_start;
  double prev = days_start;
  for (double d : days_changes) {
    c.days_intervals.push_back(d - prev);
    prev = d;
  }
  if (days_changes.empty()) return c;
  // The mean interval: the time up to the last change over the number of changes. Changes all
  // at the start (interval 0) leave the span of the series as the only measure.
  double between = (days_changes.back() - days_start) / static_cast<double>(days_changes.size());
  if (!(between > 0)) between = c.days_span > 0 ? c.days_span / static_cast<double>(days_changes.size()) : 0;
  if (between > 0) {
    c.days_between_retrains = between;
    c.retrains_per_year = kDaysPerYear / between;
  }
  return c;
}

}  // namespace flopscope
