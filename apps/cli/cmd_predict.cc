// `flopscope predict`: time on hardware. `gemm` and `attention` time one op with the timing
// engine (perf/timing_engine.h); `prefill`, `decode` and `train` (predict_model.h) time a model.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "command.h"
#include "flopscope/cost/attention.h"
#include "flopscope/hw/calibration.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/perf/timing_engine.h"
#include "flopscope/util/units.h"
#include "predict_common.h"
#include "predict_model.h"

namespace flopscope::cli {
namespace {

Status positive(std::string_view flag, int64_t v) {
  if (v > 0) return {};
  return bad_input(std::string(flag) + ": expected a positive integer, got " + std::to_string(v));
}

double peak_fraction(double flops, double seconds, double peak) {
  return seconds > 0 && peak > 0 ? flops / seconds / peak : 0;
}

nlohmann::json timing_json(const OpTiming& t, double flops, double bytes, const Setup& s) {
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

void print_rows(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  for (const auto& [k, v] : rows) std::printf("  %-*s  %s\n", static_cast<int>(width), k.c_str(), v.c_str());
}

std::vector<std::pair<std::string, std::string>> timing_rows(const OpTiming& t, double flops, double bytes,
                                                             const Setup& s) {
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

std::string calibration_note(const Setup& s) {
  return s.profile ? "calibration profile" : "catalog efficiencies";
}

// ---------------------------------------------------------------------------- gemm

struct GemmOptions {
  Common common;
  int64_t m = 0, n = 0, k = 0, batch = 1;
};

int run_gemm(const GemmOptions& o) {
  for (auto [flag, v] : {std::pair<const char*, int64_t>{"--m", o.m}, {"--n", o.n}, {"--k", o.k}, {"--batch", o.batch}}) {
    if (Status st = positive(flag, v); !st) return report_error(st.error());
  }
  auto s = resolve(o.common);
  if (!s) return report_error(s.error());
  TimingEngine engine(*s->hardware, s->profile ? &*s->profile : nullptr, s->software);
  Op op = make_gemm("gemm", o.m, o.n, o.k, s->dtype, o.batch);
  if (Status st = engine.check(op); !st) return report_error(st.error());
  OpTiming t = engine.time(op);
  GemmPlan plan = engine.plan_gemm(op.gemm, s->dtype);
  double bytes = op.bytes_read + op.bytes_written;
  if (o.common.json) {
    nlohmann::json j = timing_json(t, op.flops, bytes, *s);
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
    print_json(j);
    return 0;
  }
  std::printf("GEMM %lld x %lld x %lld%s %s on %s (%s, %s)\n", static_cast<long long>(o.m),
              static_cast<long long>(o.n), static_cast<long long>(o.k),
              o.batch > 1 ? (" x" + std::to_string(o.batch)).c_str() : "", std::string(dtype_name(s->dtype)).c_str(),
              s->hardware->id.c_str(), std::string(software_name(s->software)).c_str(), calibration_note(*s).c_str());
  auto rows = timing_rows(t, op.flops, bytes, *s);
  std::string waves = s->hardware->compute_units > 0 || (s->profile && s->profile->compute_units > 0)
                          ? std::to_string(plan.waves) + " wave(s) on " +
                                std::to_string(s->profile && s->profile->compute_units > 0
                                                   ? s->profile->compute_units
                                                   : s->hardware->compute_units) +
                                " units"
                          : "no wave model (compute units unknown)";
  rows.push_back({"tiles", std::to_string(plan.tiles) + " of " + std::to_string(plan.tile_m) + "x" +
                               std::to_string(plan.tile_n) + ", split-K " + std::to_string(plan.split_k) + ", " +
                               waves});
  rows.push_back({"efficiency", format_percent(engine.gemm_ceiling(s->dtype)) + " large-GEMM ceiling x " +
                                    format_percent(plan.efficiency_shape) + " shape"});
  print_rows(rows);
  return 0;
}

std::function<void()> setup_gemm(CLI::App& sub, int& exit_code) {
  auto o = std::make_shared<GemmOptions>();
  sub.add_option("--m", o->m, "Rows of A and C (tokens)")->required();
  sub.add_option("--n", o->n, "Columns of B and C (output features)")->required();
  sub.add_option("--k", o->k, "Columns of A, rows of B (input features)")->required();
  sub.add_option("--batch", o->batch, "Independent GEMMs of this shape (batched GEMM)")->capture_default_str();
  add_common(sub, o->common);
  set_examples(sub, {"flopscope predict gemm --m 4096 --n 4096 --k 4096 --hardware h100-sxm",
                     "flopscope predict gemm --m 1 --n 8192 --k 8192 --dtype bf16 --hardware h100-sxm --json",
                     "flopscope predict gemm --m 8192 --n 8192 --k 8192 --dtype fp8 --hardware h100-sxm "
                     "--profile my-h100.profile.toml"});
  return [o, &exit_code] { exit_code = run_gemm(*o); };
}

// ---------------------------------------------------------------------------- attention

struct AttentionOptions {
  Common common;
  int64_t batch = 1, heads = 0, kv_heads = 0, seq = 0, kv_len = 0, head_dim = 0;
  bool causal = false, backward = false, accumulate_grad = false;
};

int run_attention(const AttentionOptions& o) {
  for (auto [flag, v] : {std::pair<const char*, int64_t>{"--batch", o.batch}, {"--heads", o.heads},
                         {"--seq", o.seq}, {"--head-dim", o.head_dim}}) {
    if (Status st = positive(flag, v); !st) return report_error(st.error());
  }
  if (o.kv_heads != 0) {
    if (Status st = positive("--kv-heads", o.kv_heads); !st) return report_error(st.error());
    if (o.heads % o.kv_heads != 0) {
      return report_error(bad_input("--kv-heads: expected a divisor of --heads " + std::to_string(o.heads) +
                                    ", got " + std::to_string(o.kv_heads)));
    }
  }
  if (o.kv_len != 0) {
    if (Status st = positive("--kv-len", o.kv_len); !st) return report_error(st.error());
    if (o.kv_len < o.seq) {
      return report_error(bad_input("--kv-len: expected at least --seq " + std::to_string(o.seq) + ", got " +
                                    std::to_string(o.kv_len)));
    }
  }
  if (o.accumulate_grad && !o.backward) {
    return report_error(bad_input("--accumulate-grad: needs --backward (it adds the backward's gradients)"));
  }
  auto s = resolve(o.common);
  if (!s) return report_error(s.error());
  TimingEngine engine(*s->hardware, s->profile ? &*s->profile : nullptr, s->software);
  AttentionShape shape;
  shape.batch = o.batch;
  shape.heads = o.heads;
  shape.kv_heads = o.kv_heads > 0 ? o.kv_heads : o.heads;
  shape.q_len = o.seq;
  shape.kv_len = o.kv_len > 0 ? o.kv_len : o.seq;
  shape.head_dim_qk = shape.head_dim_v = o.head_dim;
  shape.causal = o.causal;
  Op fwd = make_attention("attention", shape, s->dtype, false);
  if (Status st = engine.check(fwd); !st) return report_error(st.error());
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
  if (o.common.json) {
    nlohmann::json j = timing_json(t, flops, bytes, *s);
    j["shape"] = {{"batch", shape.batch},   {"heads", shape.heads},   {"kv_heads", shape.kv_heads},
                  {"q_len", shape.q_len},   {"kv_len", shape.kv_len}, {"head_dim", o.head_dim},
                  {"causal", shape.causal}, {"backward", o.backward}, {"accumulate_grad", o.accumulate_grad}};
    j["seconds_forward"] = tf.seconds;
    if (o.backward) j["seconds_backward"] = tb.seconds;
    j["efficiency"] = {{"attention_forward", engine.efficiency().attention_forward},
                       {"attention_backward", engine.efficiency().attention_backward}};
    print_json(j);
    return 0;
  }
  std::printf("Attention %s b=%lld h=%lld kv_h=%lld q=%lld kv=%lld d=%lld%s %s on %s (%s, %s)\n",
              o.backward ? "forward+backward" : "forward", static_cast<long long>(shape.batch),
              static_cast<long long>(shape.heads), static_cast<long long>(shape.kv_heads),
              static_cast<long long>(shape.q_len), static_cast<long long>(shape.kv_len),
              static_cast<long long>(o.head_dim), shape.causal ? " causal" : "",
              std::string(dtype_name(s->dtype)).c_str(), s->hardware->id.c_str(),
              std::string(software_name(s->software)).c_str(), calibration_note(*s).c_str());
  auto rows = timing_rows(t, flops, bytes, *s);
  if (o.backward) {
    rows.push_back({"forward", format_seconds(tf.seconds)});
    rows.push_back({"backward", format_seconds(tb.seconds)});
  }
  print_rows(rows);
  return 0;
}

std::function<void()> setup_attention(CLI::App& sub, int& exit_code) {
  auto o = std::make_shared<AttentionOptions>();
  sub.add_option("--batch", o->batch, "Sequences")->capture_default_str();
  sub.add_option("--heads", o->heads, "Query heads")->required();
  sub.add_option("--kv-heads", o->kv_heads, "Key/value heads (GQA/MQA; default: --heads)");
  sub.add_option("--seq", o->seq, "Query length (1 for one decode step)")->required();
  sub.add_option("--kv-len", o->kv_len, "Key/value length (default: --seq; the KV cache length in decode)");
  sub.add_option("--head-dim", o->head_dim, "Head dimension")->required();
  sub.add_flag("--causal", o->causal, "Causal mask (fully masked blocks are skipped)");
  sub.add_flag("--backward", o->backward, "Forward plus backward, as in a training step");
  sub.add_flag("--accumulate-grad", o->accumulate_grad,
               "With --backward: add dQ, dK, dV into existing gradients (out.backward() on leaf inputs that "
               "already hold .grad, as a benchmark loop without zeroing does)");
  add_common(sub, o->common);
  set_examples(sub, {"flopscope predict attention --batch 1 --heads 32 --kv-heads 8 --seq 8192 --head-dim 128 "
                     "--causal --hardware h100-sxm",
                     "flopscope predict attention --batch 8 --heads 32 --kv-heads 8 --seq 1 --kv-len 32768 "
                     "--head-dim 128 --hardware h100-sxm --json",
                     "flopscope predict attention --batch 4 --heads 16 --seq 4096 --head-dim 128 --causal "
                     "--backward --hardware a100-sxm-80gb"});
  return [o, &exit_code] { exit_code = run_attention(*o); };
}

// ---------------------------------------------------------------------------- predict

std::function<int()> setup_predict(CLI::App& sub) {
  auto exit_code = std::make_shared<int>(0);
  sub.require_subcommand(1);
  CLI::App* gemm = sub.add_subcommand("gemm", "Time one GEMM: tiles, waves, roofline");
  gemm->callback(setup_gemm(*gemm, *exit_code));
  CLI::App* attention = sub.add_subcommand("attention", "Time one flash-attention call (forward, or with backward)");
  attention->callback(setup_attention(*attention, *exit_code));
  register_predict_model_commands(sub, *exit_code);
  set_examples(sub, {"flopscope predict gemm --m 4096 --n 4096 --k 4096 --hardware h100-sxm",
                     "flopscope predict attention --heads 32 --seq 8192 --head-dim 128 --causal --hardware h100-sxm",
                     "flopscope predict <what> --help"});
  return [exit_code]() -> int { return *exit_code; };
}

FLOPSCOPE_COMMAND({"predict", "Predict time on hardware: one GEMM, one attention call, or a model", setup_predict, 30});

}  // namespace
}  // namespace flopscope::cli
