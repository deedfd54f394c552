// Population stability index (PSI) of binned distributions over time (docs/drift.md, "PSI").
//
// File format (CSV, util/csv_table.h): a header, the time first, then columns named `bin`,
// `reference` and `current` (any order after the time, names case-insensitive):
//
//     time,bin,reference,current
//     2024-01-01,0-10,120,118
//     2024-01-01,10-20,300,310
//     ...
//
// Consecutive rows with the same time are one distribution; each time lists the same bins in
// the same order as the first. Reference and current are counts or shares (>= 0), normalized
// to shares per time, so the reference may stay fixed or roll.
//
//     PSI = sum_i (a_i - e_i) ln(a_i / e_i)
//
// with a_i the current and e_i the reference share of bin i. A share of 0 is replaced by
// epsilon (1e-4, flopscope's choice: 0.01 %, finer than a bin of 10,000 samples resolves) so
// the logarithm is finite; an empty bin on both sides contributes 0. PSI is the symmetrized
// Kullback-Leibler (Jeffreys) divergence. The usual rule of thumb, from E. M. Lewis, "An
// Introduction to Credit Scoring" (1992), as reviewed by B. Yurdakul, "Statistical Properties
// of Population Stability Index" (PhD dissertation, Western Michigan University, 2018,
// scholarworks.wmich.edu/dissertations/3208): under 0.1 no significant change, 0.1 to 0.25 a
// minor one, above 0.25 a major shift. flopscope flags above 0.2 by default (--psi-threshold),
// inside the band where the rule says to start looking.
#pragma once

#include <string>
#include <vector>

#include "flopscope/plan/drift.h"
#include "flopscope/util/csv_table.h"
#include "flopscope/util/result.h"

namespace flopscope {

inline constexpr double kPsiEpsilon = 1e-4;      ///< share used for an empty bin
inline constexpr double kPsiThreshold = 0.2;     ///< default alert threshold
inline constexpr size_t kPsiMaxBins = 10'000;    ///< bins of one distribution

/// PSI of two share vectors of one length (each summing to 1), with `epsilon` for empty bins.
///
/// **Example**: `population_stability_index({0.5, 0.5}, {0.4, 0.6})` is
/// (0.4 - 0.5) ln(0.4 / 0.5) + (0.6 - 0.5) ln(0.6 / 0.5) = 0.0405.
double population_stability_index(const std::vector<double>& reference, const std::vector<double>& current,
                                  double epsilon = kPsiEpsilon);

/// One time of the PSI file.
struct PsiPoint {
  std::string time;  ///< as the file writes it
  int line = 0;      ///< the line of its first bin
  double time_value = 0;  ///< seconds since 1970 (ISO times) or the number written
  std::vector<std::string> bins;
  std::vector<double> reference, current;  ///< shares, each summing to 1
  double psi = 0;
};

/// Reads the PSI file and computes each time's PSI. Errors name file, line and column:
/// "psi.csv: expected columns bin, reference and current after the time, got time, a, b";
/// "psi.csv:9: column 'current': expected a non-negative number, got '-3'"; "psi.csv:12: time
/// '2024-02-01' lists bin '20-30' where the first time has '10-20'"; "psi.csv:14: time
/// '2024-02-01': the reference shares sum to 0"; times out of order.
Result<std::vector<PsiPoint>> read_psi_table(const CsvTable& table, IsoTimeParser parse_iso);

}  // namespace flopscope
