#include "flopscope/plan/drift_psi.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace flopscope {

double population_stability_index(const std::vector<double>& e, const std::vector<double>& a, double epsilon) {
  double psi = 0;
  for (size_t i = 0; i < std::min(e.size(), a.size()); ++i) {
    if (e[i] <= 0 && a[i] <= 0) continue;  // empty on both sides: no difference
    const double ei = std::max(e[i], epsilon), ai = std::max(a[i], epsilon);
    psi += (ai - ei) * std::log(ai / ei);
  }
  return psi;
}

namespace {

Result<double> share_cell(const CsvTable& t, const CsvRow& row, size_t col) {
  auto v = drift_cell_number(t, row, col);
  if (!v || *v < 0) {
    return bad_input(fmt::format("{}:{}: column '{}': expected a non-negative number, got '{}'", t.origin(), row.line,
                                 t.header()[col], t.text(row, col)));
  }
  return *v;
}

// Turns counts into shares; errors when a side sums to 0.
Status normalize(const CsvTable& t, PsiPoint& p) {
  for (auto* side : {&p.reference, &p.current}) {
    double sum = 0;
    for (double v : *side) sum += v;
    if (!(sum > 0) || !std::isfinite(sum)) {
      return bad_input(fmt::format("{}:{}: time '{}': the {} counts sum to {}: expected a positive total", t.origin(),
                                   p.line, p.time, side == &p.reference ? "reference" : "current", sum));
    }
    for (double& v : *side) v /= sum;
  }
  return {};
}

}  // namespace

Result<std::vector<PsiPoint>> read_psi_table(const CsvTable& t, IsoTimeParser parse_iso) {
  const auto& h = t.header();
  auto bin = t.column({"bin"}), ref = t.column({"reference"}), cur = t.column({"current"});
  if (!bin || !ref || !cur || *bin == 0 || *ref == 0 || *cur == 0) {
    std::string names;
    for (size_t i = 0; i < h.size(); ++i) names += (i ? ", " : "") + h[i];
    return bad_input(fmt::format("{}: expected columns bin, reference and current after the time, got {}", t.origin(), names));
  }
  if (t.rows().empty()) return bad_input(fmt::format("{}: no rows after the header", t.origin()));
  std::vector<PsiPoint> out;
  const bool iso = drift_times_are_iso(t);
  for (const CsvRow& row : t.rows()) {
    const std::string& time = t.text(row, 0);
    if (out.empty() || out.back().time != time) {
      if (!out.empty()) {
        if (auto st = normalize(t, out.back()); !st) return st.error();
        const PsiPoint& first = out.front();
        if (out.size() > 1 && out.back().bins.size() != first.bins.size()) {
          return bad_input(fmt::format("{}:{}: time '{}' has {} bins; the first time has {}", t.origin(), out.back().line,
                                       out.back().time, out.back().bins.size(), first.bins.size()));
        }
      }
      auto tvr = drift_time_cell(t, row, iso, parse_iso);
      if (!tvr) return tvr.error();
      const double tv = *tvr;
      if (!out.empty() && tv < out.back().time_value) {
        return bad_input(fmt::format("{}:{}: time '{}' is before the previous time '{}': expected rows in time order",
                                     t.origin(), row.line, time, out.back().time));
      }
      PsiPoint p;
      p.time = time;
      p.line = row.line;
      p.time_value = tv;
      out.push_back(std::move(p));
    }
    PsiPoint& p = out.back();
    const std::string& name = t.text(row, *bin);
    const size_t k = p.bins.size();
    if (out.size() > 1) {
      const PsiPoint& first = out.front();
      if (k >= first.bins.size() || first.bins[k] != name) {
        return bad_input(fmt::format("{}:{}: time '{}' lists bin '{}' where the first time has {}", t.origin(), row.line,
                                     time, name, k < first.bins.size() ? "'" + first.bins[k] + "'" : "no more bins"));
      }
    } else if (k >= kPsiMaxBins) {
      return bad_input(fmt::format("{}:{}: expected at most {} bins per time", t.origin(), row.line, kPsiMaxBins));
    }
    auto e = share_cell(t, row, *ref);
    if (!e) return e.error();
    auto a = share_cell(t, row, *cur);
    if (!a) return a.error();
    p.bins.push_back(name);
    p.reference.push_back(*e);
    p.current.push_back(*a);
  }
  if (auto st = normalize(t, out.back()); !st) return st.error();
  if (out.size() > 1 && out.back().bins.size() != out.front().bins.size()) {
    return bad_input(fmt::format("{}:{}: time '{}' has {} bins; the first time has {}", t.origin(), out.back().line,
                                 out.back().time, out.back().bins.size(), out.front().bins.size()));
  }
  for (PsiPoint& p : out) p.psi = population_stability_index(p.reference, p.current);
  return out;
}

}  // namespace flopscope
