#include "serving_flags.h"

#include "flopscope/perf/predict.h"
#include "layout_flags.h"
#include "model_options.h"

namespace flopscope::cli {

void add_serving_flags(CLI::App& sub, ServingFlags& f) {
  sub.add_option("MODEL", f.model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  add_common(sub, f.common, "eager for prefill, graphs for decode");
  sub.add_option("--tp", f.tp, "Tensor-parallel devices per replica")->capture_default_str();
  sub.add_option("--weights", f.weights, "Weight storage dtype (default: the compute dtype)");
  sub.add_option("--kv-dtype", f.kv_dtype, "KV-cache dtype (default: bf16, fp8 with --dtype fp8)");
  sub.add_option("--prompt", f.prompt, "Prompt tokens: N, uniform:LO:HI or exp:MEAN (not with --trace)");
  sub.add_option("--output", f.output, "Output tokens: N, uniform:LO:HI or exp:MEAN (not with --trace)");
  sub.add_option("--block-size", f.engine.block_size, "KV block size, tokens")->capture_default_str();
  sub.add_option("--max-running", f.engine.max_running, "Most sequences running at once (max_num_seqs)")
      ->capture_default_str();
  sub.add_option("--max-batched-tokens", f.engine.max_batched_tokens, "Most tokens in one iteration")
      ->capture_default_str();
  sub.add_option("--memory-fraction", f.engine.memory_fraction, "Share of device memory the engine may use")
      ->capture_default_str();
  sub.add_flag("--prefill-first", f.prefill_first, "Whole prompts first, decodes wait (no chunked prefill)");
}

Result<ServingSetup> resolve_serving(const ServingFlags& f, const std::string& hardware_override, int64_t tp) {
  ServingSetup out;
  Common c = f.common;
  if (!hardware_override.empty()) c.hardware = hardware_override;
  auto s = resolve(c, Software::kGraphs);
  if (!s) return s.error();
  out.setup = *s;
  auto spec = load_model_arg(f.model);
  if (!spec) return spec.error();
  out.spec = std::move(*spec);
  ServingOptions& o = out.options;
  o.engine = f.engine;
  o.engine.chunked_prefill = !f.prefill_first;
  Workload& w = o.workload;
  w.dtype = s->dtype;
  w.weight_dtype = s->dtype;
  w.kv_dtype = s->dtype == DType::kFP8 ? DType::kFP8 : DType::kBF16;
  w.modules = Modules::kFused;  // serving engines fuse norms, rotary and act(gate) * up
  if (!f.weights.empty()) {
    auto wd = parse_dtype(f.weights, "--weights");
    if (!wd) return wd.error();
    w.weight_dtype = *wd;
  }
  if (!f.kv_dtype.empty()) {
    auto kd = parse_dtype(f.kv_dtype, "--kv-dtype");
    if (!kd) return kd.error();
    w.kv_dtype = *kd;
  }
  // Left out: 0, which simulate_serving refuses unless a trace gives the lengths.
  if (!f.prompt.empty()) {
    auto prompt = parse_length_distribution(f.prompt, "--prompt");
    if (!prompt) return prompt.error();
    o.load.prompt = *prompt;
  }
  if (!f.output.empty()) {
    auto output = parse_length_distribution(f.output, "--output");
    if (!output) return output.error();
    o.load.output = *output;
  }
  w.parallel.tp = tp > 0 ? tp : f.tp;
  if (auto st = check_positive("--tp", w.parallel.tp); !st) return st.error();
  const Software prefill_sw = f.common.software.empty() ? default_software(Phase::kPrefill) : s->software;
  const Software decode_sw = f.common.software.empty() ? default_software(Phase::kDecode) : s->software;
  const CalibrationProfile* profile = s->profile ? &*s->profile : nullptr;
  out.prefill_engine = std::make_unique<TimingEngine>(*s->hardware, profile, prefill_sw);
  out.decode_engine = std::make_unique<TimingEngine>(*s->hardware, profile, decode_sw);
  if (w.parallel.tp > 1) {
    if (auto st = validate(w.parallel, out.spec); !st) return st.error();
    auto sys = resolve_system("", *s->hardware, w.parallel.devices());
    if (!sys) return sys.error();
    out.system = *sys;
    w.parallel.gpus_per_node = sys->gpus_per_node;
    out.prefill_engine->set_network(sys->network());
    out.decode_engine->set_network(sys->network());
  }
  return out;
}

nlohmann::json latency_json(const LatencySummary& s) {
  return {{"p50", s.p50}, {"p90", s.p90}, {"p95", s.p95}, {"p99", s.p99}, {"mean", s.mean}};
}

}  // namespace flopscope::cli
