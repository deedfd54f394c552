#include "flopscope/api/frontier.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "flopscope/api/common.h"
#include "flopscope/api/options.h"
#include "flopscope/cost/params.h"
#include "flopscope/model/load.h"
#include "flopscope/report/svg.h"
#include "flopscope/report/table.h"
#include "flopscope/scaling/quality_frontier.h"
#include "flopscope/util/csv_table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

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

Status write_svg(const FrontierOptions& o, const std::vector<FrontierEntry>& entries) {
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
  return write_file_atomic(o.svg, plot.render());
}

}  // namespace

Result<Output> frontier(const FrontierOptions& o, const Render& render) {
  if (o.results.empty() == o.csv.empty()) {
    return bad_input("frontier: expected results: a CSV file, or its text (csv), not both");
  }
  if (o.csv.size() > limits::kCsvBytes) {
    return bad_input(fmt::format("csv: expected at most {} bytes, got {}", limits::kCsvBytes, o.csv.size()));
  }
  const bool inline_text = !o.csv.empty();
  const std::string origin = inline_text ? "csv" : o.results;
  auto text = inline_text ? Result<std::string>(o.csv) : read_file(o.results, limits::kCsvBytes);
  if (!text) return text.error();
  auto table = CsvTable::parse(*text, origin);
  if (!table) return table.error();
  auto points = read_quality_csv(*table, o.metric, [&](const std::string& m, std::optional<double> d, int line)
                                                       -> Result<std::pair<double, std::string>> {
    if (inline_text) {
      if (auto st = catalog_model_only(fmt::format("{}:{}", origin, line), "column 'model'", "CSV", m); !st) {
        return st.error();
      }
    }
    return model_training_flops(origin, m, d, line);
  });
  if (!points) return points.error();
  auto entries = pareto_frontier(*points);
  if (!o.svg.empty()) {
    if (Status s = write_svg(o, entries); !s) return s.error();
  }

  Output result;
  if (render.json) {
    Json arr = Json::array();
    for (const auto& e : entries) {
      Json j = {{"name", e.point.name},
                {"line", e.point.line},
                {"quality", e.point.quality},
                {"flops", e.point.flops},
                {"flops_source", e.point.compute_source},
                {"quality_per_flop", e.quality_per_flop},
                {"on_frontier", e.on_frontier},
                {"dominated_by", e.dominated_by ? Json(*e.dominated_by) : Json(nullptr)},
                {"compute_excess", e.compute_excess}};
      if (e.point.precision) j["precision"] = *e.point.precision, j["recall"] = *e.point.recall;
      arr.push_back(j);
    }
    result.json = {{"models", arr}, {"svg", o.svg.empty() ? Json(nullptr) : Json(o.svg)}};
    return result;
  }
  std::string& s = result.text;
  bool confusion = !entries.empty() && entries.front().point.precision.has_value();
  std::vector<std::string> header = {"model", "compute", "quality"};
  if (confusion) header.insert(header.end(), {"precision", "recall"});
  header.insert(header.end(), {"quality/EFLOP", "frontier", "dominated by", "compute excess"});
  std::vector<bool> right(header.size(), true);
  right[0] = false;
  Table t(header, right);
  for (const auto& e : entries) {
    std::vector<std::string> r = {e.point.name, sci(e.point.flops), fmt::format("{:.4g}", e.point.quality)};
    if (confusion) r.insert(r.end(), {fmt::format("{:.3f}", *e.point.precision), fmt::format("{:.3f}", *e.point.recall)});
    r.insert(r.end(), {fmt::format("{:.4g}", e.quality_per_flop * 1e18), e.on_frontier ? "yes" : "no",
                       e.dominated_by ? *e.dominated_by : "-",
                       e.on_frontier ? "-" : fmt::format("{:.2f}x", e.compute_excess)});
    t.add(r);
  }
  s += t.render();
  s += "\nNotes:\n  'compute excess': compute of the model over that of the cheapest model with at least its quality.\n";
  bool counted = std::any_of(entries.begin(), entries.end(), [](const FrontierEntry& e) { return e.point.compute_source != "given"; });
  if (counted) {
    s += "  Compute counted from the model column: 6 * N_active * D training FLOPs (N_active from the parameter\n"
         "  counter; 2 * N_active FLOPs per inference token).\n";
  }
  if (confusion) s += "  quality = F1 = 2PR / (P + R), P = tp / (tp + fp), R = tp / (tp + fn).\n";
  if (!o.svg.empty()) s += "\nWrote the frontier plot to " + o.svg + "\n";
  return result;
}

Result<FrontierOptions> frontier_options(const Json& j) {
  FrontierOptions o;
  OptionsReader r(j, "frontier");
  r.read("results", o.results).read("csv", o.csv).read("metric", o.metric).read("svg", o.svg);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
