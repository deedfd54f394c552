#include "flopscope/scaling/fit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fmt/format.h>
#include <nlopt.hpp>
#include <random>
#include <set>

#include "flopscope/util/statistics.h"

namespace flopscope {

Result<std::vector<TrainingRunPoint>> read_runs_csv(const CsvTable& t) {
  auto n_col = t.column({"N", "params", "parameters"});
  auto d_col = t.column({"D", "tokens"});
  auto l_col = t.column({"loss", "L"});
  auto c_col = t.column({"C", "flops", "compute"});
  std::string cols = fmt::format("{}", fmt::join(t.header(), ","));
  if (!n_col) return bad_input(fmt::format("{}: header: expected a column 'N' (or 'params'), got '{}'", t.origin(), cols));
  if (!d_col) return bad_input(fmt::format("{}: header: expected a column 'D' (or 'tokens'), got '{}'", t.origin(), cols));
  if (!l_col) return bad_input(fmt::format("{}: header: expected a column 'loss', got '{}'", t.origin(), cols));
  std::vector<TrainingRunPoint> runs;
  for (const auto& row : t.rows()) {
    TrainingRunPoint p;
    p.line = row.line;
    auto n = t.number(row, *n_col);
    if (!n) return n.error();
    auto d = t.number(row, *d_col);
    if (!d) return d.error();
    auto l = t.number(row, *l_col);
    if (!l) return l.error();
    p.params = *n;
    p.tokens = *d;
    p.loss = *l;
    if (c_col) {
      auto c = t.number(row, *c_col);
      if (!c) return c.error();
      double expected = 6 * p.params * p.tokens;
      if (std::fabs(*c / expected - 1) > 0.10) {
        return bad_input(fmt::format("{}:{}: column '{}': {:.4g} disagrees with 6*N*D = {:.4g} by more than 10%",
                                     t.origin(), row.line, t.header()[*c_col], *c, expected));
      }
    }
    runs.push_back(p);
  }
  if (runs.empty()) return bad_input(fmt::format("{}: no data rows after the header", t.origin()));
  return runs;
}

namespace {

struct Problem {
  const std::vector<TrainingRunPoint>* runs;
  const std::vector<int>* weights;  // bootstrap multiplicities (nullptr = all 1)
  double delta;
};

double huber(double r, double delta) {
  double a = std::fabs(r);
  return a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
}
double huber_grad(double r, double delta) { return std::fabs(r) <= delta ? r : (r > 0 ? delta : -delta); }

// x = (a, b, e, alpha, beta).
double objective(const std::vector<double>& x, std::vector<double>& grad, void* data) {
  const Problem& p = *static_cast<const Problem*>(data);
  double total = 0;
  if (!grad.empty()) std::fill(grad.begin(), grad.end(), 0.0);
  const auto& runs = *p.runs;
  for (size_t i = 0; i < runs.size(); ++i) {
    int w = p.weights ? (*p.weights)[i] : 1;
    if (w == 0) continue;
    double ln = std::log(runs[i].params), ld = std::log(runs[i].tokens);
    double t1 = x[0] - x[3] * ln, t2 = x[1] - x[4] * ld, t3 = x[2];
    double m = std::max({t1, t2, t3});
    double e1 = std::exp(t1 - m), e2 = std::exp(t2 - m), e3 = std::exp(t3 - m);
    double s = e1 + e2 + e3;
    double pred = m + std::log(s);
    double r = pred - std::log(runs[i].loss);
    total += w * huber(r, p.delta);
    if (!grad.empty()) {
      double g = w * huber_grad(r, p.delta);
      double w1 = e1 / s, w2 = e2 / s, w3 = e3 / s;
      grad[0] += g * w1;
      grad[1] += g * w2;
      grad[2] += g * w3;
      grad[3] += -g * w1 * ln;
      grad[4] += -g * w2 * ld;
    }
  }
  return total;
}

struct LocalFit {
  std::array<double, 5> x{};
  double value = HUGE_VAL;
};

LocalFit minimise_from(const Problem& p, const std::array<double, 5>& start) {
  nlopt::opt opt(nlopt::LD_LBFGS, 5);
  opt.set_min_objective(objective, const_cast<Problem*>(&p));
  // Bounds keep exponents physical and exp() finite; the grid lies well inside them.
  opt.set_lower_bounds({-50, -50, -10, 0, 0});
  opt.set_upper_bounds({100, 100, 10, 5, 5});
  opt.set_ftol_rel(1e-15);
  opt.set_xtol_rel(1e-12);
  opt.set_maxeval(3000);
  std::vector<double> x(start.begin(), start.end());
  double value = HUGE_VAL;
  try {
    opt.optimize(x, value);
  } catch (const nlopt::roundoff_limited&) {
    // The best point so far is in x: L-BFGS stopped at floating-point resolution.
    std::vector<double> g;
    value = objective(x, g, const_cast<Problem*>(&p));
  } catch (const std::exception&) {
    return {};
  }
  LocalFit f;
  std::copy(x.begin(), x.end(), f.x.begin());
  f.value = value;
  return f;
}

std::vector<std::array<double, 5>> grid(bool full) {
  std::vector<std::array<double, 5>> g;
  if (full) {
    for (double alpha = 0; alpha <= 2.0001; alpha += 0.5)
      for (double beta = 0; beta <= 2.0001; beta += 0.5)
        for (double e = -1; e <= 1.0001; e += 0.5)
          for (double a = 0; a <= 25.0001; a += 5)
            for (double b = 0; b <= 25.0001; b += 5) g.push_back({a, b, e, alpha, beta});
  } else {
    for (double alpha : {0.2, 0.5})
      for (double beta : {0.2, 0.5})
        for (double e : {0.0, 0.5})
          for (double a : {5.0, 15.0})
            for (double b : {5.0, 15.0}) g.push_back({a, b, e, alpha, beta});
  }
  return g;
}

LossLaw to_loss(const std::array<double, 5>& x) {
  LossLaw l;
  l.form = LossForm::kChinchilla;
  l.A = std::exp(x[0]);
  l.B = std::exp(x[1]);
  l.E = std::exp(x[2]);
  l.alpha = x[3];
  l.beta = x[4];
  return l;
}

}  // namespace

Result<FitResult> fit_chinchilla(const std::vector<TrainingRunPoint>& runs, const FitOptions& options) {
  if (runs.size() < 5) return bad_input(fmt::format("fit: expected at least 5 runs for 5 parameters, got {}", runs.size()));
  std::set<double> ns, ds;
  for (const auto& r : runs) {
    ns.insert(r.params);
    ds.insert(r.tokens);
  }
  if (ns.size() < 2 || ds.size() < 2) {
    return bad_input("fit: expected runs with at least 2 different model sizes N and 2 different token counts D");
  }
  Problem p{&runs, nullptr, options.huber_delta};
  auto starts = grid(options.full_grid);
  LocalFit best;
  for (const auto& s : starts) {
    LocalFit f = minimise_from(p, s);
    if (f.value < best.value) best = f;
  }
  if (!std::isfinite(best.value)) return failure("fit: L-BFGS failed from every starting point");

  FitResult r;
  r.loss = to_loss(best.x);
  r.objective = best.value;
  r.runs = static_cast<int>(runs.size());
  r.starts = static_cast<int>(starts.size());
  double sq = 0;
  for (const auto& run : runs) {
    double d = std::log(r.loss(run.params, run.tokens)) - std::log(run.loss);
    sq += d * d;
  }
  r.rmse_log = std::sqrt(sq / runs.size());

  auto values = [](const LossLaw& l) {
    double a = l.beta / (l.alpha + l.beta);
    return std::array<double, 7>{l.E, l.A, l.B, l.alpha, l.beta, a, 1 - a};
  };
  std::array<double, 7> point = values(r.loss);
  std::array<std::vector<double>, 7> samples;
  if (options.bootstrap_samples > 0) {
    std::mt19937_64 rng(options.seed);
    std::uniform_int_distribution<size_t> pick(0, runs.size() - 1);
    // Each resample restarts from the full-data optimum and a few perturbed points: the
    // global grid search already located the basin, and a resample moves it only a little.
    std::vector<std::array<double, 5>> local_starts = {best.x};
    for (double d : {-0.1, 0.1}) {
      auto s = best.x;
      s[3] += d;
      s[4] -= d;
      local_starts.push_back(s);
    }
    if (options.progress) options.progress(0, options.bootstrap_samples);
    for (int k = 0; k < options.bootstrap_samples; ++k) {
      if (options.progress && k > 0) options.progress(k, options.bootstrap_samples);
      std::vector<int> weights(runs.size(), 0);
      for (size_t i = 0; i < runs.size(); ++i) ++weights[pick(rng)];
      Problem bp{&runs, &weights, options.huber_delta};
      LocalFit bb;
      for (const auto& s : local_starts) {
        LocalFit f = minimise_from(bp, s);
        if (f.value < bb.value) bb = f;
      }
      if (!std::isfinite(bb.value)) continue;
      auto v = values(to_loss(bb.x));
      for (size_t j = 0; j < v.size(); ++j) samples[j].push_back(v[j]);
    }
    r.bootstrap_samples = static_cast<int>(samples[0].size());
  }
  std::array<Estimate*, 7> out = {&r.E, &r.A, &r.B, &r.alpha, &r.beta, &r.a, &r.b};
  for (size_t j = 0; j < out.size(); ++j) {
    out[j]->value = point[j];
    if (samples[j].size() >= 2) {
      out[j]->lo = percentile(samples[j], 2.5);
      out[j]->hi = percentile(samples[j], 97.5);
    } else {
      out[j]->lo = out[j]->hi = point[j];
    }
  }
  return r;
}

ScalingLaw fitted_law(const FitResult& fit, std::string id, std::string source) {
  ScalingLaw law;
  law.id = std::move(id);
  law.name = "fitted with flopscope fit (Hoffmann et al. 2022 approach 3)";
  law.paper = "user runs: " + source;
  law.notes = fmt::format(
      "Huber (delta 1e-3) L-BFGS fit to {} runs from {} initial points; 95% bootstrap intervals ({} resamples): "
      "E [{:.4g}, {:.4g}], A [{:.4g}, {:.4g}], B [{:.4g}, {:.4g}], alpha [{:.4g}, {:.4g}], beta [{:.4g}, {:.4g}]; "
      "implied a = {:.4f}, b = {:.4f}",
      fit.runs, fit.starts, fit.bootstrap_samples, fit.E.lo, fit.E.hi, fit.A.lo, fit.A.hi, fit.B.lo, fit.B.hi,
      fit.alpha.lo, fit.alpha.hi, fit.beta.lo, fit.beta.hi, fit.a.value, fit.b.value);
  law.loss = fit.loss;
  law.loss->source = "flopscope fit " + source;
  return law;
}

}  // namespace flopscope
