#include "flopscope/api/mfu.h"

#include <fmt/format.h>

#include "flopscope/api/common.h"
#include "flopscope/api/options.h"
#include "flopscope/cost/flops.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

Result<Output> mfu(const MfuOptions& o, const Render& render) {
  if (!(o.tokens_per_second > 0))
    return bad_input("--tokens-per-second: expected a positive number, got " + std::to_string(o.tokens_per_second));
  if (auto st = check_positive("--gpus", o.gpus); !st) return st.error();
  if (auto st = check_positive("--seq", o.seq); !st) return st.error();
  auto rc = parse_recompute(o.recompute);
  if (!rc) return rc.error();
  auto s = resolve_setup(o.hw);
  if (!s) return s.error();
  double peak = s->hardware->peak(s->dtype);
  if (peak <= 0) {
    return bad_input("hardware '" + s->hardware->id + "' has no " + std::string(dtype_name(s->dtype)) +
                     " support (see flopscope hardware " + s->hardware->id + ")");
  }
  auto spec = load_model_option(o.model, o.model_config);
  if (!spec) return spec.error();
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = 1;
  w.seq = o.seq;
  w.recompute = *rc;
  w.optimizer_step = false;
  FlopReport r = count_flops(*spec, w);
  double per_token_model = r.model_flops / static_cast<double>(o.seq);
  double per_token_hw = r.hardware_flops / static_cast<double>(o.seq);
  double per_token_dense = r.model_flops_dense_attention / static_cast<double>(o.seq);
  double peak_total = peak * static_cast<double>(o.gpus);
  double mfu = o.tokens_per_second * per_token_model / peak_total;
  double hfu = o.tokens_per_second * per_token_hw / peak_total;
  double mfu_dense = o.tokens_per_second * per_token_dense / peak_total;
  if (mfu > 1.0) {
    return bad_input("MFU " + format_percent(mfu) +
                     " exceeds 100%: the inputs are inconsistent (tokens/s, --gpus, --hardware or --dtype)");
  }
  const char* convention =
      "PaLM appendix B: model FLOPs per token (matmuls incl. attention, causal pairs, forward + backward = 3x forward, "
      "no recomputation) x tokens/s / (GPUs x dense peak of the dtype)";
  Output out;
  if (render.json) {
    out.json = {{"model", spec->name},
                {"hardware", s->hardware->id},
                {"dtype", std::string(dtype_name(s->dtype))},
                {"gpus", o.gpus},
                {"seq", o.seq},
                {"tokens_per_second", o.tokens_per_second},
                {"flops_model_per_token", per_token_model},
                {"flops_model_per_token_dense_attention", per_token_dense},
                {"flops_hardware_per_token", per_token_hw},
                {"flops_peak_per_gpu", peak},
                {"mfu", mfu},
                {"mfu_dense_attention", mfu_dense},
                {"hfu", hfu},
                {"valid", mfu <= 1.0},
                {"convention", convention}};
    return out;
  }
  std::string& t = out.text;
  t += style(render, spec->name, "1") + fmt::format(" at {} tokens/s on {} x {} ({} dense peak {})\n",
                                                    format_si(o.tokens_per_second), o.gpus, s->hardware->id,
                                                    dtype_name(s->dtype), format_si(peak, "FLOP/s"));
  t += "  model FLOPs per token: " + format_si(per_token_model, "FLOP") + " (dense attention: " +
       format_si(per_token_dense, "FLOP") + ")\n";
  t += "  MFU: " + format_percent(mfu) + "   (dense-attention convention: " + format_percent(mfu_dense) +
       ")\n  HFU: " + format_percent(hfu) + " (recompute " + std::string(recompute_name(*rc)) + ")\n";
  t += style(render, std::string("  ") + convention + "\n", "2");
  return out;
}

Result<MfuOptions> mfu_options(const Json& j) {
  MfuOptions o;
  OptionsReader r(j, "mfu");
  r.model("model", o.model, o.model_config)
      .read("tokens_per_second", o.tokens_per_second)
      .read("gpus", o.gpus)
      .read("seq", o.seq)
      .read("recompute", o.recompute);
  read_engine_options(r, o.hw);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
