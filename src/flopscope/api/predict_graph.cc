#include "flopscope/api/predict_graph.h"

#include <fmt/format.h>

#include <algorithm>

#include "flopscope/api/graph.h"
#include "flopscope/api/options.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

Result<Output> predict_graph(const PredictGraphOptions& o, const Render& r) {
  if (o.top <= 0) return bad_input("--top: expected a positive integer, got " + std::to_string(o.top));
  auto s = resolve_setup(o.hw, Software::kEager);
  if (!s) return s.error();
  auto cost = load_graph_cost(o.file, o.dims);
  if (!cost) return cost.error();
  OpList ops = lower_graph(*cost);
  // The graph runs in the requested compute dtype: bytes scale with the element size.
  for (Op& op : ops) {
    if (op.kind == OpKind::kCollective) continue;
    double scale = bytes_per_element(s->dtype) / bytes_per_element(op.dtype);
    op.bytes_read *= scale;
    op.bytes_written *= scale;
    op.dtype = s->dtype;
  }
  TimingEngine engine(*s->hardware, s->profile_or_null(), s->software);
  for (const Op& op : ops) {
    if (auto st = engine.check(op); !st) return st.error();
  }
  OpListTiming t = time_ops(engine, ops);
  double peak = s->hardware->peak(s->dtype);
  const double flops_mac = cost->flops_mac;  // fvcore / PyTorch counter convention, 2 per MAC
  double utilization = t.seconds > 0 && peak > 0 ? flops_mac / (t.seconds * peak) : 0;
  std::vector<std::pair<double, const Op*>> rows;
  for (const Op& op : ops) rows.push_back({engine.time(op).seconds * static_cast<double>(op.count), &op});
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (rows.size() > static_cast<size_t>(o.top)) rows.resize(static_cast<size_t>(o.top));
  Output out;
  if (r.json) {
    Json top = Json::array();
    for (const auto& [sec, op] : rows) {
      top.push_back({{"name", op->name}, {"type", op->type}, {"seconds", sec}, {"flops", op->total_flops()},
                     {"bytes", op->total_bytes()}, {"bound", std::string(bound_name(engine.time(*op).bound))}});
    }
    out.json = {{"model", o.file},
                {"hardware", s->hardware->id},
                {"dtype", std::string(dtype_name(s->dtype))},
                {"software", std::string(software_name(s->software))},
                {"seconds", t.seconds},
                {"flops_mac", flops_mac},
                {"flops_total", t.flops},
                {"bytes_moved", t.bytes},
                {"kernels", t.kernels},
                {"flops_utilization", utilization},
                {"top_ops", top}};
    return out;
  }
  out.text = style(r, o.file, "1") + fmt::format(" on {} ({}, {})\n\n", s->hardware->name, dtype_name(s->dtype),
                                                 software_name(s->software));
  Table table({"node", "type", "time", "share", "bound"}, {false, false, true, true, false});
  for (const auto& [sec, op] : rows) {
    table.add({op->name, op->type, format_seconds(sec), format_percent(sec / t.seconds),
               std::string(bound_name(engine.time(*op).bound))});
  }
  out.text += table.render(2) + "\n";
  out.text += render_fields({{"time", format_seconds(t.seconds)},
                             {"matmul FLOPs", format_si(flops_mac, "FLOP")},
                             {"utilization", format_percent(utilization) + " of dense " +
                                                 std::string(dtype_name(s->dtype)) + " peak"},
                             {"kernels", std::to_string(t.kernels)}},
                            2);
  return out;
}

Result<PredictGraphOptions> predict_graph_options(const Json& j) {
  PredictGraphOptions o;
  OptionsReader r(j, "predict/graph");
  r.read("file", o.file).read("dim", o.dims).read("top", o.top);
  read_engine_options(r, o.hw);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
