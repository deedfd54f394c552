// Drift in a time series of a model's quality metric (accuracy, loss, an error rate) or of a
// drift statistic, and the retraining cadence it implies (docs/drift.md).
//
// Input: a CSV table (util/csv_table.h) with a header; the first column is the time (ISO 8601
// dates or date-times, or plain numbers), the others are metrics. Times are kept as the file
// writes them; they must not go backwards.
//
// Page-Hinkley (E. S. Page, "Continuous inspection schemes", Biometrika 41, 1954; the form of
// J. Gama, I. Zliobaite, A. Bifet, M. Pechenizkiy, A. Bouchachia, "A survey on concept drift
// adaptation", ACM Computing Surveys 46(4), 2014, section 3.2), for a rise:
//
//     mean_t = mean of x over the segment so far
//     m_t    = alpha * m_{t-1} + (x_t - mean_t - delta)
//     PH_t   = m_t - min_{s<=t} m_s          alarm when PH_t > lambda
//
// and the mirror image (mean_t - x_t - delta) for a drop. delta is the magnitude of change
// tolerated, lambda the alarm threshold, alpha a forgetting factor (alpha = 1: none). flopscope
// states delta and lambda in noise standard deviations sigma of the segment's first `min_rows`
// rows (the warm-up, in which no alarm is raised), so one default serves an accuracy near 0.9
// and a loss near 2. sigma is the warm-up's median moving range |x_t - x_{t-1}| over 0.954
// (Montgomery, individuals charts), so a level shift inside the warm-up does not inflate it. The defaults follow the CUSUM design rule of D. C. Montgomery, "Introduction to
// Statistical Quality Control" (section 9.1.3): reference value k = half the shift to detect
// and decision interval h = 4 or 5 sigma. flopscope aims at shifts of 2 sigma or more (a
// metric that moves by less is within its day-to-day noise), so delta = k = 1 and lambda =
// h = 5. With a warm-up of 30 rows the sigma is itself an estimate, so measured rates are
// given in docs/drift.md (tests/plan/drift_test.cc checks them). alpha 0.9999 and min_rows 30
// are MOA's PageHinkleyDM defaults (Bifet et al., "MOA:
// Massive Online Analysis", JMLR 11, 2010). After an alarm the detector restarts after it.
//
// ADWIN (A. Bifet, R. Gavalda, "Learning from time-changing data with adaptive windowing",
// SIAM SDM 2007): a window W of the latest rows, kept in an exponential histogram of buckets
// (at most M per size); after each row, every split of W into an older W0 and a newer W1 (at
// bucket boundaries, each at least `min_window` rows) is tested and the oldest bucket dropped
// while |mean(W0) - mean(W1)| > eps_cut, with MOA's form of the paper's Theorem 3 bound:
//
//     m       = 1 / (n0 - min_window + 1) + 1 / (n1 - min_window + 1)
//     d       = ln(2 ln(|W|) / delta)
//     eps_cut = sqrt(2 m var(W) d) + 2/3 d m
//
// The bound is for values in [0, 1]: flopscope rescales the series by its minimum and maximum
// (the file is analysed whole, not streamed). Defaults: delta 0.002 and M 5 (the paper's and
// MOA's), min_window 5 (MOA); every row is checked (MOA checks every 32nd, for speed on long
// streams). A change's onset is the split with the largest |mean0 - mean1| / eps_cut at the
// alarm; an alarm whose split lies before the previous alarm is the same change. ADWIN
// promises few false alarms (at most delta) and pays with delay: a step of a few noise
// widths needs tens of rows after it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/util/csv_table.h"
#include "flopscope/util/result.h"

namespace flopscope {

enum class DriftDetector { kPageHinkley, kAdwin, kPsi };
enum class DriftDirection { kDrop, kRise, kBoth };

/// "page-hinkley" or "adwin" (psi is not a --detector; it comes with --psi).
Result<DriftDetector> parse_drift_detector(std::string_view text);
const char* drift_detector_name(DriftDetector d);  ///< "page-hinkley", "adwin", "psi"
/// "drop", "rise" or "both".
Result<DriftDirection> parse_drift_direction(std::string_view text);
const char* drift_direction_name(DriftDirection d);

/// One metric over time, as read from the file.
struct DriftSeries {
  std::string origin;       ///< the path as given (prefixes messages)
  std::string time_column;  ///< the header of the first column
  std::string metric;       ///< the header of the chosen column
  std::vector<std::string> times;  ///< as the file writes them
  std::vector<int> lines;          ///< 1-based line of each row in the file
  std::vector<double> values;
  /// Each time as a number: seconds since 1970 (UTC) when the times are ISO 8601, else the
  /// number the file writes.
  std::vector<double> time_values;
  bool iso_times = false;
};

/// Parses an ISO 8601 date or date-time into seconds since 1970 (the api passes the ledger's
/// parse_utc_time, so there is one such parser).
using IsoTimeParser = Result<double> (*)(std::string_view text);

/// Reads column `metric` of `table` (case-sensitive name; the first column is the time).
/// Errors: "FILE: no column 'acc'; columns: time, accuracy, psi"; "FILE:7: column 'accuracy':
/// expected a number, got 'n/a'"; "FILE:7: column 'time': expected an ISO 8601 date or a
/// number, got 'soon'"; "FILE:9: time '2024-03-01' is before the previous row's
/// '2024-03-02': expected rows in time order"; a file with no metric column or no rows.
Result<DriftSeries> read_drift_series(const CsvTable& table, std::string_view metric, IsoTimeParser parse_iso);

/// A number in a CSV cell, any sign: "FILE:LINE: column 'NAME': expected a number, got 'TEXT'".
Result<double> drift_cell_number(const CsvTable& table, const CsvRow& row, size_t col);

/// True when the first row's time (column 0) is not a plain number: the times are ISO 8601.
bool drift_times_are_iso(const CsvTable& table);

/// The time of `row` (column 0) as seconds since 1970 (`iso`) or as the number written:
/// "FILE:LINE: column 'time': expected an ISO 8601 date or date-time (as in the first row),
/// got 'soon'".
Result<double> drift_time_cell(const CsvTable& table, const CsvRow& row, bool iso, IsoTimeParser parse_iso);

struct PageHinkleyOptions {
  double delta = 1.0;      ///< tolerated change, in warm-up standard deviations
  double lambda = 5.0;     ///< alarm threshold, in warm-up standard deviations
  double alpha = 0.9999;   ///< forgetting factor of the cumulative sum, in (0, 1]
  int64_t min_rows = 30;   ///< warm-up rows of each segment (no alarm in them)
};

struct AdwinOptions {
  double delta = 0.002;    ///< confidence: false-alarm probability bound
  int64_t max_buckets = 5; ///< M: buckets of each size in the histogram
  int64_t min_window = 5;  ///< fewest rows on each side of a tested split
};

/// One detected change. Rows are 0-based indices into the series.
struct DriftChange {
  DriftDetector detector = DriftDetector::kPageHinkley;
  DriftDirection direction = DriftDirection::kDrop;  ///< kDrop or kRise
  size_t row = 0;        ///< where the detector raised the alarm
  size_t row_onset = 0;  ///< where the change began, as the detector estimates it
  double statistic = 0;  ///< PH_t (standard deviations), |mean difference| (rescaled), or PSI
  double threshold = 0;  ///< lambda, eps_cut or the PSI threshold
  std::optional<double> mean_before;  ///< the metric from the previous change's onset (or row 0)
  std::optional<double> mean_after;   ///< the metric from the onset to the next change's onset (or the end)
};

/// Checks the options and that the series is long enough; errors name the flags
/// ("--ph-lambda: expected a positive number of standard deviations, got 0"; "FILE: 12 rows
/// of 'accuracy': page-hinkley needs at least 31 (--ph-min-rows 30 warm-up rows, then one to
/// test)").
Status check_page_hinkley(const PageHinkleyOptions& o, const DriftSeries& s);
Status check_adwin(const AdwinOptions& o, const DriftSeries& s);

/// The changes Page-Hinkley finds in `values`, in row order (options checked).
std::vector<DriftChange> detect_page_hinkley(const std::vector<double>& values, const PageHinkleyOptions& o,
                                             DriftDirection direction);
/// The changes ADWIN finds in `values`, in row order (options checked).
std::vector<DriftChange> detect_adwin(const std::vector<double>& values, const AdwinOptions& o,
                                      DriftDirection direction);

/// Sets mean_before and mean_after of `changes` (sorted by row) from `values`.
void fill_segment_means(const std::vector<double>& values, std::vector<DriftChange>& changes);

/// How often drift forces a retrain, from the times of the changes. Intervals: start of the
/// series to the first change, then change to change; the assumed interval between retrains
/// is their mean (last change minus start, over the count); retrains_per_year = 365.25 days
/// over it. No change: retrains_per_year 0 (none forced over the span).
struct RetrainCadence {
  int64_t changes = 0;
  double days_span = 0;                 ///< first to last row
  std::vector<double> days_intervals;   ///< start -> change 1, change 1 -> change 2, ...
  std::optional<double> days_between_retrains;  ///< the mean interval; none without a change
  double retrains_per_year = 0;
};

/// `days_start`, `days_end`: the series' first and last times; `days_changes`: each change's
/// alarm time, ascending. A change at the very start (interval 0) counts as one retrain but
/// adds no interval length.
RetrainCadence retrain_cadence(double days_start, double days_end, const std::vector<double>& days_changes);

inline constexpr double kDaysPerYear = 365.25;  ///< Julian year

/// Seconds in one numeric time unit: second, minute, hour, day, week (plural accepted).
Result<double> parse_time_unit(std::string_view text);

}  // namespace flopscope
