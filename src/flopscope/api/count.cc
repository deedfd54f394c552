#include "flopscope/api/count.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "flopscope/api/common.h"
#include "flopscope/api/graph.h"
#include "flopscope/api/options.h"
#include "flopscope/cost/lower_transformer.h"
#include "flopscope/cost/parallel.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/model/gguf_loader.h"
#include "flopscope/model/load.h"
#include "flopscope/model/safetensors_reader.h"
#include "flopscope/perf/timing_engine.h"
#include "flopscope/report/table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

constexpr size_t kTopNodes = 10;

// Predicted seconds per node on a hardware (TimingEngine, eager PyTorch-like issue, no
// calibration profile). Empty id: no prediction.
Result<std::vector<double>> predict_node_seconds(const GraphCost& cost, const std::string& hardware_id,
                                                 std::string* hardware_name) {
  if (hardware_id.empty()) return std::vector<double>{};
  if (const Status& st = HardwareCatalog::builtin_status(); !st) return st.error();
  auto hw = HardwareCatalog::builtin().find(hardware_id);
  if (!hw) return hw.error();
  *hardware_name = (*hw)->id;
  TimingEngine engine(**hw, nullptr, Software::kEager);
  OpList ops = lower_graph(cost);
  std::vector<double> seconds;
  seconds.reserve(ops.size());
  for (const auto& op : ops) seconds.push_back(engine.time(op).seconds);
  return seconds;
}

std::string flops_text(double f) { return f == 0 ? "0" : format_si(f, "FLOP"); }

Result<Output> count_onnx(const CountOptions& o, const Render& r) {
  auto cost = load_graph_cost(o.model, o.dims);
  if (!cost) return cost.error();
  std::string hw_name;
  auto seconds = predict_node_seconds(*cost, o.hardware, &hw_name);
  if (!seconds) return seconds.error();
  double seconds_total = 0;
  for (double s : *seconds) seconds_total += s;

  Output out;
  if (r.json) {
    Json& j = out.json;
    j["source"] = o.model;
    j["format"] = "onnx";
    j["flops_convention"] = "flops_mac: 2 FLOPs per multiply-add of MatMul, Gemm, Conv, ConvTranspose, Einsum, "
                            "attention and RNN matmuls; flops_total: all operators (model_flops, forward only)";
    j["params"] = cost->params;
    j["bytes_params"] = cost->bytes_params;
    j["flops_mac"] = cost->flops_mac;
    j["flops_total"] = cost->flops_total;
    j["bytes"] = cost->bytes;
    if (!hw_name.empty()) {
      j["hardware"] = hw_name;
      j["seconds_predicted"] = seconds_total;
    }
    auto& types = j["op_types"] = Json::array();
    for (const auto& t : cost->op_types) {
      types.push_back({{"op_type", t.op_type}, {"nodes", t.nodes}, {"flops_mac", t.flops_mac}, {"flops", t.flops}, {"bytes", t.bytes}});
    }
    auto& nodes = j["nodes"] = Json::array();
    for (size_t i = 0; i < cost->nodes.size(); ++i) {
      const auto& n = cost->nodes[i];
      Json node = {{"name", n.name},           {"op_type", n.op_type},   {"kind", op_kind_name(n.kind)},
                   {"flops_mac", n.flops_mac}, {"flops", n.flops},       {"bytes_read", n.bytes_read},
                   {"bytes_written", n.bytes_written}, {"has_rule", n.has_rule}, {"shape_known", n.shape_known}};
      if (!seconds->empty()) node["seconds_predicted"] = (*seconds)[i];
      nodes.push_back(std::move(node));
    }
    j["unsupported_ops"] = cost->unsupported;
    j["warnings"] = cost->warnings;
    return out;
  }

  std::string& t = out.text;
  t += style(r, o.model, "1") + fmt::format("  ({} nodes)\n", cost->nodes.size());
  Table totals({"", "", ""}, {false, true, false});
  totals.add({"params", format_count(cost->params),
              "exact: elements of the weight initializers (" + format_bytes(cost->bytes_params) + ")"});
  totals.add({"flops_mac", flops_text(cost->flops_mac), "MatMul, Gemm, Conv, Einsum, attention: 2 FLOPs per multiply-add"});
  totals.add({"flops_total", flops_text(cost->flops_total), "all operators, forward"});
  totals.add({"bytes", format_bytes(cost->bytes), "each node's inputs read and outputs written once"});
  if (!hw_name.empty()) {
    totals.add({"time", format_seconds(seconds_total), "predicted on " + hw_name + " (eager, node by node, no fusion)"});
  }
  t += totals.render_body(2) + "\n";
  Table types({"op type", "nodes", "flops_mac", "flops", "bytes", "flops%"}, {false, true, true, true, true, true});
  for (const auto& ty : cost->op_types) {
    double share = cost->flops_total > 0 ? ty.flops / cost->flops_total : 0;
    types.add({ty.op_type, std::to_string(ty.nodes), flops_text(ty.flops_mac), flops_text(ty.flops),
               format_bytes(ty.bytes), format_percent(share)});
  }
  t += types.render(2);
  std::vector<size_t> order(cost->nodes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto top = [&](auto key, const std::string& title, auto value_text) {
    std::vector<size_t> sorted = order;
    size_t k = std::min(kTopNodes, sorted.size());
    std::partial_sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end(),
                      [&](size_t a, size_t b) { return key(a) != key(b) ? key(a) > key(b) : a < b; });
    t += "\n" + style(r, "  " + title, "1") + "\n";
    Table nodes({"node", "op type", ""}, {false, false, true});
    for (size_t i = 0; i < k; ++i) {
      const auto& n = cost->nodes[sorted[i]];
      nodes.add({n.name.size() > 48 ? n.name.substr(0, 45) + "..." : n.name, n.op_type, value_text(sorted[i])});
    }
    t += nodes.render_body(2);
  };
  top([&](size_t i) { return cost->nodes[i].flops; }, "Top nodes by FLOPs",
      [&](size_t i) { return flops_text(cost->nodes[i].flops); });
  if (!seconds->empty()) {
    top([&](size_t i) { return (*seconds)[i]; }, "Top nodes by predicted time on " + hw_name,
        [&](size_t i) { return format_seconds((*seconds)[i]); });
  }
  for (const auto& w : cost->warnings) t += "\n  note: " + w;
  if (!cost->warnings.empty()) t += "\n";
  return out;
}

// The config.json beside a checkpoint, when there is one: its parameter count.
std::optional<std::pair<std::string, int64_t>> config_params(const std::string& path, std::string* error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::is_directory(path, ec) ? fs::path(path) : fs::path(path).parent_path();
  fs::path cfg = dir / "config.json";
  if (!fs::exists(cfg, ec)) return std::nullopt;
  auto text = read_file(cfg.string(), size_t{16} << 20);
  if (!text) {
    *error = text.error().message;
    return std::nullopt;
  }
  auto spec = parse_hf_config(*text, cfg.string());
  if (!spec) {
    *error = spec.error().message;
    return std::nullopt;
  }
  return std::make_pair(cfg.string(), count_params(*spec).total);
}

Result<Output> count_safetensors(const std::string& path, const Render& r) {
  auto m = read_safetensors(path);
  if (!m) return m.error();
  std::string cfg_error;
  auto cfg = config_params(path, &cfg_error);
  Output out;
  if (r.json) {
    Json& j = out.json;
    j["source"] = path;
    j["format"] = "safetensors";
    j["files"] = m->files;
    j["params"] = m->parameters;
    j["bytes"] = m->bytes;
    auto& d = j["dtypes"] = Json::array();
    for (const auto& x : m->dtypes) d.push_back({{"dtype", x.dtype}, {"tensors", x.tensors}, {"elements", x.elements}, {"bytes", x.bytes}});
    auto& tensors = j["tensors"] = Json::array();
    for (const auto& x : m->tensors) tensors.push_back({{"name", x.name}, {"dtype", x.dtype}, {"shape", x.shape}, {"bytes", x.bytes}, {"file", x.file}});
    if (cfg) {
      j["config"] = {{"path", cfg->first}, {"params", cfg->second}, {"agrees", cfg->second == m->parameters}};
    } else if (!cfg_error.empty()) {
      j["config"] = {{"error", cfg_error}};
    }
    j["warnings"] = m->warnings;
    return out;
  }
  std::string& t = out.text;
  t += style(r, path, "1") + fmt::format("  ({} tensors in {} file(s))\n", m->tensors.size(), m->files.size());
  Table totals({"", "", ""}, {false, true, false});
  totals.add({"params", format_count(m->parameters), "exact: sum of tensor elements"});
  totals.add({"bytes", format_bytes(static_cast<double>(m->bytes)), ""});
  t += totals.render_body(2) + "\n";
  Table dtypes({"dtype", "tensors", "elements", "bytes"}, {false, true, true, true});
  for (const auto& x : m->dtypes) {
    dtypes.add({x.dtype, std::to_string(x.tensors), format_count(x.elements), format_bytes(static_cast<double>(x.bytes))});
  }
  t += dtypes.render(2);
  if (cfg) {
    if (cfg->second == m->parameters) {
      t += "\n  " + cfg->first + " agrees: " + format_count(cfg->second) + " parameters\n";
    } else {
      t += "\n  " + style(r, "warning:", "31") + " " + cfg->first + " counts " + format_count(cfg->second) +
           " parameters, the checkpoint holds " + format_count(m->parameters) + " (" +
           (m->parameters > cfg->second ? "+" : "") + format_count(m->parameters - cfg->second) + ")\n";
    }
  } else if (!cfg_error.empty()) {
    t += "\n  note: config.json beside it was not understood: " + cfg_error + "\n";
  }
  for (const auto& w : m->warnings) t += "  note: " + w + "\n";
  return out;
}

Result<Output> count_gguf(const std::string& path, const Render& r) {
  auto f = read_gguf(path);
  if (!f) return f.error();
  GgufStorage s = gguf_storage(*f);
  auto arch = f->get_string("general.architecture").value_or("");
  Output out;
  if (r.json) {
    Json& j = out.json;
    j["source"] = path;
    j["format"] = "gguf";
    j["version"] = f->version;
    j["architecture"] = arch;
    j["params"] = s.elements;
    j["bytes"] = s.bytes;
    j["bits_per_weight"] = s.bits_per_weight;
    auto& types = j["ggml_types"] = Json::array();
    for (const auto& x : s.by_type) {
      types.push_back({{"type", x.type}, {"tensors", x.tensors}, {"elements", x.elements}, {"bytes", x.bytes}});
    }
    return out;
  }
  std::string& t = out.text;
  t += style(r, path, "1") + fmt::format("  (GGUF v{}, {}, {} tensors)\n", f->version, arch.empty() ? "?" : arch, f->tensors.size());
  Table totals({"", ""}, {false, true});
  totals.add({"params", format_count(s.elements)});
  totals.add({"bytes", format_bytes(static_cast<double>(s.bytes))});
  totals.add({"bits per weight", fmt::format("{:.3f}", s.bits_per_weight)});
  t += totals.render_body(2) + "\n";
  Table types({"type", "tensors", "elements", "bytes", "bpw"}, {false, true, true, true, true});
  for (const auto& x : s.by_type) {
    double bpw = x.elements ? 8.0 * static_cast<double>(x.bytes) / static_cast<double>(x.elements) : 0;
    types.add({x.type, std::to_string(x.tensors), format_count(x.elements), format_bytes(static_cast<double>(x.bytes)),
               fmt::format("{:.2f}", bpw)});
  }
  t += types.render(2);
  return out;
}

Result<Output> count_file(const CountOptions& o, const Render& r) {
  if (ends_with(o.model, ".onnx")) return count_onnx(o, r);
  if (!o.dims.empty()) return bad_input("--dim: only ONNX graphs have symbolic dimensions, got " + o.model);
  if (!o.hardware.empty()) {
    return bad_input("--hardware: ranks the nodes of an ONNX graph; for '" + o.model + "' use flopscope predict");
  }
  if (ends_with(o.model, ".gguf")) return count_gguf(o.model, r);
  return count_safetensors(o.model, r);
}

}  // namespace

Result<Output> count(const CountOptions& a, const Render& r) {
  // A .gguf file holds a transformer: counted from its metadata like a config (below).
  if (a.model_config.is_null() && is_model_file(a.model) && !ends_with(a.model, ".gguf")) return count_file(a, r);
  if (auto st = check_positive("--batch", a.batch); !st) return st.error();
  if (auto st = check_positive("--seq", a.seq); !st) return st.error();
  // ONNX-only options are refused, not ignored, on a transformer config or catalog model.
  if (!a.dims.empty()) {
    return bad_input("--dim: binds symbolic dimensions of an ONNX graph, not of '" + a.model + "'");
  }
  if (!a.hardware.empty()) {
    return bad_input("--hardware: ranks the nodes of an ONNX graph; for '" + a.model + "' use flopscope predict");
  }
  auto spec = load_model_option(a.model, a.model_config);
  if (!spec) return spec.error();
  ParamCounts p = count_params(*spec);

  Workload fwd;
  fwd.phase = Phase::kForward;
  fwd.batch = a.batch;
  fwd.seq = a.seq;
  if (auto st = validate(fwd); !st) return st.error();
  Workload train = fwd;
  train.phase = Phase::kTrainStep;
  Workload train_full = train;
  train_full.recompute = Recompute::kFull;
  Workload prefill = fwd;
  prefill.phase = Phase::kPrefill;
  Workload decode = fwd;
  decode.phase = Phase::kDecode;
  decode.context = a.seq;
  // Per device under a layout: the fullest pipeline stage's parameters (matrices / tp, experts
  // / ep) and the forward FLOPs of one device (the last stage's op list, cost/parallel.h).
  Parallel layout;
  layout.tp = a.tp;
  layout.pp = a.pp;
  layout.ep = a.ep;
  layout.dp = a.ep;  // expert parallelism spans data-parallel ranks: the smallest dp that allows it
  const bool per_device = !layout.single_device() || a.ep > 1;
  if (auto st = validate(layout, *spec); !st) return st.error();
  double device_params_max = std::max(device_params(*spec, layout, true), device_params(*spec, layout, false));
  Workload fwd_device = fwd;
  fwd_device.parallel = layout;
  double device_flops = per_device ? count_flops(*spec, fwd_device).flops_forward : 0;
  FlopReport rf = count_flops(*spec, fwd), rt = count_flops(*spec, train), rtf = count_flops(*spec, train_full);
  FlopReport rp = count_flops(*spec, prefill), rd = count_flops(*spec, decode);
  const double tokens = static_cast<double>(a.batch * a.seq);

  Output out;
  if (r.json) {
    Json& j = out.json;
    j = {{"model", spec->name}, {"model_type", spec->model_type}, {"source", spec->source}, {"batch", a.batch}, {"seq", a.seq}};
    j.update(params_json(p));
    j["flops_forward"] = rf.flops_forward;
    j["flops_forward_per_token"] = rf.flops_forward / tokens;
    j["flops_forward_dense_attention"] = rf.flops_forward_dense_attention;
    j["flops_forward_dense_attention_per_token"] = rf.flops_forward_dense_attention / tokens;
    j["flops_forward_breakdown"] = breakdown_json(rf.forward);
    j["flops_train_step_model"] = rt.model_flops;
    j["flops_train_step_model_dense_attention"] = rt.model_flops_dense_attention;
    j["flops_train_per_token_model"] = rt.model_flops / tokens;
    j["flops_train_step_hardware"] = rt.hardware_flops;
    j["flops_train_step_hardware_full_recompute"] = rtf.hardware_flops;
    j["flops_prefill"] = rp.flops_forward;
    j["flops_decode_per_token"] = rd.flops_forward / static_cast<double>(a.batch);
    j["decode_context"] = a.seq;
    j["six_n_d"] = 6.0 * static_cast<double>(p.active) * tokens;
    if (per_device) {
      j["layout"] = {{"tp", a.tp}, {"pp", a.pp}, {"ep", a.ep}};
      j["params_per_device"] = device_params_max;
      j["flops_forward_per_device"] = device_flops;
    }
    j["conventions"] = conventions_json();
    return out;
  }
  std::string& t = out.text;
  t += style(r, spec->name, "1") + "  (" + spec->model_type + ", " + spec->source + ")\n\n";
  std::vector<std::pair<std::string, std::string>> params = {
      {"parameters", format_params(p.total)},
      {"embedding", format_params(p.embedding)},
      {"non-embedding", format_params(p.non_embedding)},
  };
  if (spec->moe.active()) params.push_back({"active per token", format_params(p.active)});
  if (per_device) {
    params.push_back({"per device", format_params(static_cast<int64_t>(device_params_max)) + " parameters, " +
                                        format_si(device_flops, "FLOP") +
                                        fmt::format(" forward (tp {}, pp {}, ep {}; the fullest stage)", a.tp, a.pp, a.ep)});
  }
  t += render_fields(params) + "\n";

  t += fmt::format("Forward FLOPs, batch {} x seq {} (causal attention):\n", a.batch, a.seq);
  Table ft({"component", "FLOPs", "per token", "share"}, {false, true, true, true});
  const FlopBreakdown& b = rf.forward;
  auto row = [&](const char* name, double f) {
    if (f <= 0) return;
    ft.add({name, format_si(f, "FLOP"), format_si(f / tokens, "FLOP"), format_percent(f / rf.flops_forward)});
  };
  row("qkv projections", b.qkv);
  row("attention scores (QK^T)", b.attention_scores);
  row("attention values (PV)", b.attention_values);
  row("attention output proj", b.attention_out);
  row("mlp", b.mlp);
  row("moe router", b.moe_router);
  row("moe routed experts", b.moe_experts);
  row("moe shared experts", b.moe_shared);
  row("lm head", b.lm_head);
  row("pooler", b.pooler);
  ft.add_rule();
  row("total (matmul)", rf.flops_forward);
  t += ft.render(2) + "\n";

  Table s({"workload", "model FLOPs", "per token", "note"}, {false, true, true, false});
  s.add({"forward", format_si(rf.flops_forward, "FLOP"), format_si(rf.flops_forward / tokens, "FLOP"),
         "dense attention: " + format_si(rf.flops_forward_dense_attention / tokens, "FLOP") + "/token"});
  s.add({"train step", format_si(rt.model_flops, "FLOP"), format_si(rt.model_flops / tokens, "FLOP"),
         "6ND = " + format_si(6.0 * static_cast<double>(p.active) * tokens, "FLOP")});
  s.add({"  hardware, no recompute", format_si(rt.hardware_flops, "FLOP"), format_si(rt.hardware_flops / tokens, "FLOP"), ""});
  s.add({"  hardware, full recompute", format_si(rtf.hardware_flops, "FLOP"), format_si(rtf.hardware_flops / tokens, "FLOP"), ""});
  s.add({"prefill (" + std::to_string(a.seq) + " prompt)", format_si(rp.flops_forward, "FLOP"),
         format_si(rp.flops_forward / tokens, "FLOP"), "LM head on the last token"});
  s.add({"decode @ context " + std::to_string(a.seq), format_si(rd.flops_forward, "FLOP"),
         format_si(rd.flops_forward / static_cast<double>(a.batch), "FLOP"), "per generated token"});
  t += s.render(2);
  t += style(r, "\nFLOP = one add or multiply (multiply-add = 2). Model FLOPs: matmuls, no recomputation.\n", "2");
  return out;
}

Result<CountOptions> count_options(const Json& j) {
  CountOptions o;
  OptionsReader r(j, "count");
  r.model("model", o.model, o.model_config)
      .read("batch", o.batch)
      .read("seq", o.seq)
      .read("dim", o.dims)
      .read("hardware", o.hardware)
      .read("tp", o.tp)
      .read("pp", o.pp)
      .read("ep", o.ep);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
