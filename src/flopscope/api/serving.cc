#include "flopscope/api/serving.h"

#include <fmt/format.h>

#include "flopscope/api/common.h"
#include "flopscope/api/setup.h"
#include "flopscope/perf/predict.h"
#include "flopscope/util/dtype.h"

namespace flopscope::api {

void read_serving_model(OptionsReader& r, ServingModel& m) {
  r.model("model", m.model, m.model_config)
      .read("hardware", m.hardware)
      .read("dtype", m.dtype)
      .read("profile", m.profile)
      .read("software", m.software)
      .read("tp", m.tp)
      .read("weights", m.weights)
      .read("kv_dtype", m.kv_dtype)
      .read("decode_attention", m.decode_attention)
      .read("prompt", m.prompt)
      .read("output", m.output)
      .read("block_size", m.engine.block_size)
      .read("max_running", m.engine.max_running)
      .read("max_batched_tokens", m.engine.max_batched_tokens)
      .read("memory_fraction", m.engine.memory_fraction)
      .read("kv_free_fraction", m.engine.kv_free_fraction)
      .read("prefill", m.prefill)
      .read("prefill_first", m.prefill_first)
      .read("reserve_output", m.engine.reserve_output)
      .read("step_overhead", m.engine.seconds_step_overhead)
      .read("token_overhead", m.engine.seconds_token_overhead);
}

Result<ServingSetup> resolve_serving(const ServingModel& m, const std::string& hardware_override, int64_t tp) {
  ServingSetup out;
  if (const Status& st = HardwareCatalog::builtin_status(); !st) return st.error();
  if (m.hardware.empty() && hardware_override.empty()) return bad_input("--hardware: expected a hardware id (see flopscope hardware)");
  auto hw = HardwareCatalog::builtin().find(hardware_override.empty() ? m.hardware : hardware_override);
  if (!hw) return hw.error();
  out.hardware = *hw;
  auto dtype = parse_dtype(m.dtype, "--dtype");
  if (!dtype) return dtype.error();
  std::optional<Software> software;
  if (!m.software.empty()) {
    auto sw = parse_software(m.software, "--software");
    if (!sw) return sw.error();
    software = *sw;
  }
  if (!m.profile.empty()) {
    auto p = load_calibration_profile(m.profile);
    if (!p) return p.error();
    if (!p->hardware_id.empty() && p->hardware_id != out.hardware->id && m.warn) {
      m.warn(fmt::format("profile {} calibrates '{}', not '{}'", m.profile, p->hardware_id, out.hardware->id));
    }
    out.profile = std::move(*p);
  }
  auto spec = load_model_option(m.model, m.model_config);
  if (!spec) return spec.error();
  out.spec = std::move(*spec);
  ServingOptions& o = out.options;
  o.engine = m.engine;
  if (!m.prefill.empty()) {
    auto policy = parse_prefill_policy(m.prefill);
    if (!policy) return policy.error();
    if (m.prefill_first && *policy != PrefillPolicy::kFirst) {
      return bad_input(fmt::format("--prefill-first: conflicts with --prefill {}", prefill_policy_name(*policy)));
    }
    o.engine.prefill = *policy;
  } else if (m.prefill_first) {
    o.engine.prefill = PrefillPolicy::kFirst;
  }
  Workload& w = o.workload;
  w.dtype = *dtype;
  w.weight_dtype = *dtype;
  w.kv_dtype = *dtype == DType::kFP8 ? DType::kFP8 : DType::kBF16;
  w.modules = Modules::kFused;  // serving engines fuse norms, rotary and act(gate) * up
  if (!m.weights.empty()) {
    auto wd = parse_dtype(m.weights, "--weights");
    if (!wd) return wd.error();
    w.weight_dtype = *wd;
  }
  if (!m.kv_dtype.empty()) {
    auto kd = parse_dtype(m.kv_dtype, "--kv-dtype");
    if (!kd) return kd.error();
    w.kv_dtype = *kd;
  }
  auto da = parse_decode_attention(m.decode_attention);
  if (!da) return da.error();
  w.decode_attention = *da;
  // Left out: 0, which simulate_serving refuses unless a trace gives the lengths.
  if (!m.prompt.empty()) {
    auto prompt = parse_length_distribution(m.prompt, "--prompt");
    if (!prompt) return prompt.error();
    o.load.prompt = *prompt;
  }
  if (!m.output.empty()) {
    auto output = parse_length_distribution(m.output, "--output");
    if (!output) return output.error();
    o.load.output = *output;
  }
  w.parallel.tp = tp > 0 ? tp : m.tp;
  if (auto st = check_positive("--tp", w.parallel.tp); !st) return st.error();
  const Software prefill_sw = software ? *software : default_software(Phase::kPrefill);
  const Software decode_sw = software ? *software : default_software(Phase::kDecode);
  const CalibrationProfile* profile = out.profile ? &*out.profile : nullptr;
  out.prefill_engine = std::make_unique<TimingEngine>(*out.hardware, profile, prefill_sw);
  out.decode_engine = std::make_unique<TimingEngine>(*out.hardware, profile, decode_sw);
  if (w.parallel.tp > 1) {
    if (auto st = validate(w.parallel, out.spec); !st) return st.error();
    auto sys = resolve_system("", *out.hardware, w.parallel.devices());
    if (!sys) return sys.error();
    out.system = *sys;
    w.parallel.gpus_per_node = sys->gpus_per_node;
    out.prefill_engine->set_network(sys->network());
    out.decode_engine->set_network(sys->network());
  }
  return out;
}

Json latency_json(const LatencySummary& s) {
  return {{"p50", s.p50}, {"p90", s.p90}, {"p95", s.p95}, {"p99", s.p99}, {"mean", s.mean}};
}

std::vector<int64_t> max_running_choices(int64_t max_running) {
  std::vector<int64_t> out = {max_running};
  for (int64_t m : {128, 64, 32, 16, 8}) {
    if (m < max_running) out.push_back(m);
  }
  return out;
}

}  // namespace flopscope::api
