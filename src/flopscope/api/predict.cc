// predict gemm | attention: one op timed by the engine (perf/timing_engine.h).
#include "flopscope/api/predict.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "flopscope/api/common.h"
#include "flopscope/api/options.h"
#include "flopscope/cost/attention.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

double peak_fraction(double flops, double seconds, double peak) {
  return seconds > 0 && peak > 0 ? flops / seconds / peak : 0;
}

Json timing_json(const OpTiming& t, double flops, double bytes, const Setup& s) {
  double peak = s.hardware->peak(s.dtype);
  return {{"seconds", t.seconds},
          {"flops", flops},
          {"tflops_per_second", t.seconds > 0 ? flops / t.seconds / 1e12 : 0.0},
          {"bound", std::string(bound_name(t.bound))},
          {"seconds_compute", t.seconds_compute},
          {"seconds_memory", t.seconds_memory},
          {"seconds_overhead", t.seconds_overhead},
          {"seconds_host", t.seconds_host},
          {"bytes", bytes},
          {"fraction_of_peak", peak_fraction(flops, t.seconds, peak)},
          {"hardware", s.hardware->id},
          {"dtype", std::string(dtype_name(s.dtype))},
          {"software", std::string(software_name(s.software))},
          {"calibration", s.profile ? "profile" : "catalog defaults (data/hardware/efficiency.toml)"},
          {"flops_convention", "model FLOPs: 2 per multiply-add"}};
}

using Rows = std::vector<std::pair<std::string, std::string>>;

// "  key  value" lines, the keys padded to one width.
std::string rows_text(const Rows& rows) {
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  std::string out;
  for (const auto& [k, v] : rows) out += fmt::format("  {:<{}}  {}\n", k, width, v);
  return out;
}

Rows timing_rows(const OpTiming& t, double flops, double bytes, const Setup& s) {
  double peak = s.hardware->peak(s.dtype);
  return {{"time", format_seconds(t.seconds)},
          {"bound", std::string(bound_name(t.bound))},
          {"FLOPs", format_si(flops, "FLOP")},
          {"throughput", format_si(t.seconds > 0 ? flops / t.seconds : 0, "FLOP/s") + " (" +
                             format_percent(peak_fraction(flops, t.seconds, peak)) + " of " +
                             format_si(peak, "FLOP/s") + " peak)"},
          {"bytes", format_bytes(bytes)},
          {"compute", format_seconds(t.seconds_compute)},
          {"memory", format_seconds(t.seconds_memory)},
          {"overhead", format_seconds(t.seconds_overhead) + " (launch, host)"}};
}

std::string calibration_note(const Setup& s) { return s.profile ? "calibration profile" : "catalog efficiencies"; }

}  // namespace

Result<Output> predict_gemm(const GemmOptions& o, const Render& r) {
  for (auto [flag, v] : {std::pair<const char*, int64_t>{"--m", o.m}, {"--n", o.n}, {"--k", o.k}, {"--batch", o.batch}}) {
    if (Status st = check_positive(flag, v); !st) return st.error();
  }
  auto s = resolve_setup(o.hw);
  if (!s) return s.error();
  TimingEngine engine(*s->hardware, s->profile_or_null(), s->software);
  Op op = make_gemm("gemm", o.m, o.n, o.k, s->dtype, o.batch);
  if (Status st = engine.check(op); !st) return st.error();
  OpTiming t = engine.time(op);
  GemmPlan plan = engine.plan_gemm(op.gemm, s->dtype);
  double bytes = op.bytes_read + op.bytes_written;
  Output out;
  if (r.json) {
    Json j = timing_json(t, op.flops, bytes, *s);
    j["m"] = o.m;
    j["n"] = o.n;
    j["k"] = o.k;
    j["batch"] = o.batch;
    j["efficiency"] = {{"gemm_ceiling", engine.gemm_ceiling(s->dtype)},
                       {"shape", plan.efficiency_shape},
                       {"tile_m", plan.tile_m},
                       {"tile_n", plan.tile_n},
                       {"tiles", plan.tiles},
                       {"split_k", plan.split_k},
                       {"waves", plan.waves},
                       {"bytes_per_second_memory", engine.bytes_per_second_memory()}};
    out.json = std::move(j);
    return out;
  }
  out.text = fmt::format("GEMM {} x {} x {}{} {} on {} ({}, {})\n", o.m, o.n, o.k,
                         o.batch > 1 ? " x" + std::to_string(o.batch) : "", dtype_name(s->dtype), s->hardware->id,
                         software_name(s->software), calibration_note(*s));
  auto rows = timing_rows(t, op.flops, bytes, *s);
  const int64_t units =
      s->profile && s->profile->compute_units > 0 ? s->profile->compute_units : s->hardware->compute_units;
  std::string waves = s->hardware->compute_units > 0 || (s->profile && s->profile->compute_units > 0)
                          ? std::to_string(plan.waves) + " wave(s) on " + std::to_string(units) + " units"
                          : "no wave model (compute units unknown)";
  rows.push_back({"tiles", std::to_string(plan.tiles) + " of " + std::to_string(plan.tile_m) + "x" +
                               std::to_string(plan.tile_n) + ", split-K " + std::to_string(plan.split_k) + ", " +
                               waves});
  rows.push_back({"efficiency", format_percent(engine.gemm_ceiling(s->dtype)) + " large-GEMM ceiling x " +
                                    format_percent(plan.efficiency_shape) + " shape"});
  out.text += rows_text(rows);
  return out;
}

Result<GemmOptions> predict_gemm_options(const Json& j) {
  GemmOptions o;
  OptionsReader r(j, "predict/gemm");
  r.read("m", o.m).read("n", o.n).read("k", o.k).read("batch", o.batch);
  read_engine_options(r, o.hw);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

Result<Output> predict_attention(const AttentionOptions& o, const Render& r) {
  for (auto [flag, v] : {std::pair<const char*, int64_t>{"--batch", o.batch}, {"--heads", o.heads},
                         {"--seq", o.seq}, {"--head-dim", o.head_dim}}) {
    if (Status st = check_positive(flag, v); !st) return st.error();
  }
  if (o.kv_heads != 0) {
    if (Status st = check_positive("--kv-heads", o.kv_heads); !st) return st.error();
    if (o.heads % o.kv_heads != 0) {
      return bad_input("--kv-heads: expected a divisor of --heads " + std::to_string(o.heads) + ", got " +
                       std::to_string(o.kv_heads));
    }
  }
  if (o.kv_len != 0) {
    if (Status st = check_positive("--kv-len", o.kv_len); !st) return st.error();
    if (o.kv_len < o.seq) {
      return bad_input("--kv-len: expected at least --seq " + std::to_string(o.seq) + ", got " +
                       std::to_string(o.kv_len));
    }
  }
  if (o.accumulate_grad && !o.backward) {
    return bad_input("--accumulate-grad: needs --backward (it adds the backward's gradients)");
  }
  auto s = resolve_setup(o.hw);
  if (!s) return s.error();
  TimingEngine engine(*s->hardware, s->profile_or_null(), s->software);
  AttentionShape shape;
  shape.batch = o.batch;
  shape.heads = o.heads;
  shape.kv_heads = o.kv_heads > 0 ? o.kv_heads : o.heads;
  shape.q_len = o.seq;
  shape.kv_len = o.kv_len > 0 ? o.kv_len : o.seq;
  shape.head_dim_qk = shape.head_dim_v = o.head_dim;
  shape.causal = o.causal;
  Op fwd = make_attention("attention", shape, s->dtype, false);
  if (Status st = engine.check(fwd); !st) return st.error();
  OpTiming t = engine.time(fwd);
  double flops = fwd.flops, bytes = fwd.bytes_read + fwd.bytes_written;
  OpTiming tf = t, tb;
  // Adds one more kernel of the call to the total and to the part (`tb`) it belongs to.
  auto add = [&](const Op& op, OpTiming& part) {
    OpTiming x = engine.time(op);
    flops += op.flops;
    bytes += op.bytes_read + op.bytes_written;
    part.seconds += x.seconds;
    t.seconds += x.seconds;
    t.seconds_compute += x.seconds_compute;
    t.seconds_memory += x.seconds_memory;
    t.seconds_overhead += x.seconds_overhead;
    t.seconds_host += x.seconds_host;
    return x;
  };
  if (o.backward) {
    OpTiming backward = add(make_attention("attention", shape, s->dtype, true), tb);
    t.bound = backward.seconds >= tf.seconds ? backward.bound : tf.bound;
    if (o.accumulate_grad) {
      // out.backward() on leaf Q, K, V that already hold .grad: autograd adds each new
      // gradient into the old one, one elementwise kernel per input reading both and writing
      // one (PyTorch's AccumulateGrad), after the attention backward.
      const double q = static_cast<double>(shape.batch) * static_cast<double>(shape.heads) *
                       static_cast<double>(shape.q_len) * static_cast<double>(shape.head_dim_qk);
      const double kv = static_cast<double>(shape.batch) * static_cast<double>(shape.kv_heads) *
                        static_cast<double>(shape.kv_len) * static_cast<double>(shape.head_dim_qk);
      for (double elements : {q, kv, kv}) {
        add(make_elementwise(OpKind::kElementwise, "attention.accumulate_grad", "add", elements, 1, 2, 1, s->dtype),
            tb);
      }
    }
  }
  Output out;
  if (r.json) {
    Json j = timing_json(t, flops, bytes, *s);
    j["shape"] = {{"batch", shape.batch},   {"heads", shape.heads},   {"kv_heads", shape.kv_heads},
                  {"q_len", shape.q_len},   {"kv_len", shape.kv_len}, {"head_dim", o.head_dim},
                  {"causal", shape.causal}, {"backward", o.backward}, {"accumulate_grad", o.accumulate_grad}};
    j["seconds_forward"] = tf.seconds;
    if (o.backward) j["seconds_backward"] = tb.seconds;
    j["efficiency"] = {{"attention_forward", engine.efficiency().attention_forward},
                       {"attention_backward", engine.efficiency().attention_backward}};
    out.json = std::move(j);
    return out;
  }
  out.text = fmt::format("Attention {} b={} h={} kv_h={} q={} kv={} d={}{} {} on {} ({}, {})\n",
                         o.backward ? "forward+backward" : "forward", shape.batch, shape.heads, shape.kv_heads,
                         shape.q_len, shape.kv_len, o.head_dim, shape.causal ? " causal" : "", dtype_name(s->dtype),
                         s->hardware->id, software_name(s->software), calibration_note(*s));
  auto rows = timing_rows(t, flops, bytes, *s);
  if (o.backward) {
    rows.push_back({"forward", format_seconds(tf.seconds)});
    rows.push_back({"backward", format_seconds(tb.seconds)});
  }
  out.text += rows_text(rows);
  return out;
}

Result<AttentionOptions> predict_attention_options(const Json& j) {
  AttentionOptions o;
  OptionsReader r(j, "predict/attention");
  r.read("batch", o.batch)
      .read("heads", o.heads)
      .read("kv_heads", o.kv_heads)
      .read("seq", o.seq)
      .read("kv_len", o.kv_len)
      .read("head_dim", o.head_dim)
      .read("causal", o.causal)
      .read("backward", o.backward)
      .read("accumulate_grad", o.accumulate_grad);
  read_engine_options(r, o.hw);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
