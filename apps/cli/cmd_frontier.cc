// `flopscope frontier results.csv`: the quality-versus-compute Pareto frontier of a set of
// models. Quality is a score column (accuracy, F1, a benchmark score) or F1 from confusion
// counts (tp, fp, fn); compute is a flops column, or is counted from a model column as
// 6 * N_active * D training FLOPs (N_active from the parameter counter, D from a tokens
// column or the catalog). Reports quality per FLOP, and for each dominated model the model
// that beats it and how many times more compute it used. --svg plots it.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "flopscope/cost/params.h"
#include "flopscope/model/load.h"
#include "flopscope/report/svg.h"
#include "flopscope/scaling/quality_frontier.h"
#include "flopscope/util/csv_table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/units.h"

namespace flopscope::cli {
namespace {

// FLOP counts span 1e18..1e28: scientific notation reads better than SI prefixes there.
std::string sci(double v) { return fmt::format("{:.3g}", v); }

// The one place that turns a MODEL cell into training FLOPs through the model pipeline.
Result<std::pair<double, std::string>> model_training_flops(const std::string& origin, const std::string& model,
                                                            std::optional<double> tokens, int line) {
  auto spec = load_model(model);
  if (!spec) return bad_input(fmt::format("{}:{}: column 'model': {}", origin, line, spec.error().message));
  ParamCounts p = count_params(*spec);
  double n = static_cast<double>(p.active > 0 ? p.active : p.total);
  std::string tokens_from = "tokens column";
  if (!tokens) {
    const ModelFacts* f = find_catalog_model(model);
    if (!f || f->tokens_trained <= 0) {
      return bad_input(fmt::format("{}:{}: model '{}': no training tokens in the catalog; add a 'tokens' column",
                                   origin, line, model));
    }
    tokens = f->tokens_trained;
    tokens_from = "catalog tokens";
  }
  return std::pair{6 * n * *tokens, fmt::format("6 * N_active * D ({})", tokens_from)};
}

struct Options {
  std::string csv, metric, svg;
  bool json = false;
};

int run(const Options& o) {
  auto text = read_file(o.csv, limits::kCsvBytes);
  if (!text) return report_error(text.error());
  auto table = CsvTable::parse(*text, o.csv);
  if (!table) return report_error(table.error());
  auto points = read_quality_csv(*table, o.metric, [&](const std::string& m, std::optional<double> d, int line) {
    return model_training_flops(o.csv, m, d, line);
  });
  if (!points) return report_error(points.error());
  auto entries = pareto_frontier(*points);

  if (!o.svg.empty()) {
    SvgPlot plot("Quality vs training compute", {"training compute (FLOPs)", true},
                 {o.metric.empty() ? "quality" : o.metric, false});
    std::vector<std::pair<double, double>> frontier, dominated;
    std::vector<std::string> fl, dl;
    for (const auto& e : entries) {
      (e.on_frontier ? frontier : dominated).emplace_back(e.point.flops, e.point.quality);
      (e.on_frontier ? fl : dl).push_back(e.point.name);
    }
    // The frontier as a staircase: quality holds until the next frontier model.
    std::vector<std::pair<double, double>> stairs;
    for (size_t i = 0; i < frontier.size(); ++i) {
      if (i > 0) stairs.emplace_back(frontier[i].first, frontier[i - 1].second);
      stairs.push_back(frontier[i]);
    }
    plot.add_line("Pareto frontier", stairs, "#2ca02c");
    plot.add_points("on the frontier", frontier, "#2ca02c", fl);
    plot.add_points("dominated", dominated, "#d62728", dl);
    Status s = write_file_atomic(o.svg, plot.render());
    if (!s) return report_error(s.error());
    std::cerr << fmt::format("flopscope: wrote the frontier plot to {}\n", o.svg);
  }

  if (o.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : entries) {
      nlohmann::json j = {{"name", e.point.name},
                          {"line", e.point.line},
                          {"quality", e.point.quality},
                          {"flops", e.point.flops},
                          {"flops_source", e.point.compute_source},
                          {"quality_per_flop", e.quality_per_flop},
                          {"on_frontier", e.on_frontier},
                          {"dominated_by", e.dominated_by ? nlohmann::json(*e.dominated_by) : nlohmann::json(nullptr)},
                          {"compute_excess", e.compute_excess}};
      if (e.point.precision) j["precision"] = *e.point.precision, j["recall"] = *e.point.recall;
      arr.push_back(j);
    }
    print_json({{"models", arr}, {"svg", o.svg.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.svg)}});
    return 0;
  }
  bool confusion = entries.front().point.precision.has_value();
  std::vector<std::string> header = {"model", "compute", "quality"};
  if (confusion) header.insert(header.end(), {"precision", "recall"});
  header.insert(header.end(), {"quality/EFLOP", "frontier", "dominated by", "compute excess"});
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : entries) {
    std::vector<std::string> r = {e.point.name, sci(e.point.flops), fmt::format("{:.4g}", e.point.quality)};
    if (confusion) r.insert(r.end(), {fmt::format("{:.3f}", *e.point.precision), fmt::format("{:.3f}", *e.point.recall)});
    r.insert(r.end(), {fmt::format("{:.4g}", e.quality_per_flop * 1e18), e.on_frontier ? "yes" : "no",
                       e.dominated_by ? *e.dominated_by : "-",
                       e.on_frontier ? "-" : fmt::format("{:.2f}x", e.compute_excess)});
    rows.push_back(r);
  }
  print_table(header, rows);
  std::cout << "\nNotes:\n  'compute excess': compute of the model over that of the cheapest model with at least its quality.\n";
  bool counted = std::any_of(entries.begin(), entries.end(), [](const FrontierEntry& e) { return e.point.compute_source != "given"; });
  if (counted) {
    std::cout << "  Compute counted from the model column: 6 * N_active * D training FLOPs (N_active from the parameter\n"
                 "  counter; 2 * N_active FLOPs per inference token).\n";
  }
  if (confusion) std::cout << "  quality = F1 = 2PR / (P + R), P = tp / (tp + fp), R = tp / (tp + fn).\n";
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<Options>();
  sub.add_option("results", o->csv, "CSV: name or model, a quality column (or tp, fp, fn), flops (or model [+ tokens])")
      ->required();
  sub.add_option("--metric", o->metric, "Quality column to use (default: quality, score, accuracy, f1 or benchmark)");
  sub.add_option("--svg", o->svg, "Write the quality-vs-compute plot with the frontier");
  sub.add_flag("--json", o->json, "JSON output");
  set_examples(sub, {"flopscope frontier results.csv", "flopscope frontier results.csv --metric mmlu --svg frontier.svg",
                     "flopscope frontier classifier_counts.csv --json"});
  return [o] { return run(*o); };
}

FLOPSCOPE_COMMAND({"frontier", "Quality-versus-compute Pareto frontier of a set of models", setup, 63});

}  // namespace
}  // namespace flopscope::cli
