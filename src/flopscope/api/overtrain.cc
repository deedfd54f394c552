#include "flopscope/api/overtrain.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "flopscope/api/options.h"
#include "flopscope/cost/params.h"
#include "flopscope/model/load.h"
#include "flopscope/report/table.h"
#include "flopscope/scaling/overtraining.h"
#include "flopscope/scaling/scaling_law.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

// FLOP counts span 1e18..1e28: scientific notation reads better than SI prefixes there.
std::string sci(double v) { return fmt::format("{:.3g}", v); }
Json opt_json(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }
std::string loss_text(const std::optional<double>& v) { return v ? fmt::format("{:.4f}", *v) : "-"; }

struct ModelSize {
  std::string name;
  double params_active = 0;  ///< per token (dense: all)
  double params_active_non_embedding = 0;
  double params_total = 0;
  double tokens_trained = 0;  ///< catalog figure (0 = unknown)
  std::string tokens_source;
};

// The one place that reaches the model loader, the catalog and the parameter counter.
Result<ModelSize> model_size(const OvertrainOptions& o) {
  auto spec = load_model_option(o.model, o.model_config);
  if (!spec) return spec.error();
  ParamCounts p = count_params(*spec);
  ModelSize m;
  m.name = o.model_config.is_null() ? o.model : spec->name;
  m.params_total = static_cast<double>(p.total);
  m.params_active = static_cast<double>(p.active > 0 ? p.active : p.total);
  m.params_active_non_embedding = std::max(0.0, m.params_active - static_cast<double>(p.embedding));
  if (const ModelFacts* f = o.model_config.is_null() ? find_catalog_model(o.model) : nullptr) {
    m.name = f->name;
    m.tokens_trained = f->tokens_trained;
    m.tokens_source = f->source;
  }
  return m;
}

}  // namespace

Result<Output> overtrain(const OvertrainOptions& o, const Render& render) {
  auto m = model_size(o);
  if (!m) return m.error();
  double tokens = o.tokens > 0 ? o.tokens : m->tokens_trained;
  if (tokens <= 0) {
    return bad_input(fmt::format("overtrain: no published training tokens for '{}' in the catalog; give --tokens D",
                                 o.model_config.is_null() ? o.model : m->name));
  }
  std::vector<ScalingLaw> laws = builtin_laws();
  if (!o.law.empty()) {
    auto r = resolve_laws(o.law);
    if (!r) return r.error();
    laws = *r;
  }

  Json out = {{"model", m->name},
              {"params_total", m->params_total},
              {"params_active", m->params_active},
              {"params_active_non_embedding", m->params_active_non_embedding},
              {"tokens_trained", tokens},
              {"tokens_source", o.tokens > 0 ? std::string("--tokens") : m->tokens_source},
              {"compute_convention", "C = 6 N D with N the law's parameter count (active parameters for MoE)"},
              {"inference_convention", "2 N FLOPs per inference token (forward pass, attention excluded)"}};
  Json jl = Json::array();
  std::vector<std::vector<std::string>> rows, rows2;
  for (const auto& law : laws) {
    double n = law.params == ParamConvention::kTotal ? m->params_active : m->params_active_non_embedding;
    OvertrainAnalysis a = analyze_overtraining(law, n, tokens);
    Json j = {{"id", law.id},
              {"params_counted", law.params == ParamConvention::kTotal ? "active" : "active_non_embedding"},
              {"params", n},
              {"flops_training", a.actual.flops},
              {"tokens_per_param", a.actual.tokens_per_param()},
              {"tokens_per_param_optimal", a.compute_optimal.tokens_per_param()},
              {"overtrain_factor", a.overtrain_factor},
              {"loss_predicted", opt_json(a.actual.loss)},
              {"compute_optimal",
               {{"params", a.compute_optimal.params},
                {"tokens", a.compute_optimal.tokens},
                {"loss_predicted", opt_json(a.compute_optimal.loss)}}},
              {"flops_per_token_inference", a.flops_per_token_inference_actual()},
              {"flops_per_token_inference_compute_optimal", a.flops_per_token_inference_optimal()},
              {"flops_per_token_saved_vs_compute_optimal",
               a.flops_per_token_inference_optimal() - a.flops_per_token_inference_actual()}};
    if (a.same_loss) {
      j["same_loss_optimal"] = {{"params", a.same_loss->params},
                                {"tokens", a.same_loss->tokens},
                                {"flops_training", a.same_loss->flops},
                                {"flops_training_extra", opt_json(a.flops_training_extra())},
                                {"flops_per_token_saved", opt_json(a.flops_per_token_saved_same_loss())},
                                {"tokens_breakeven", opt_json(a.tokens_breakeven())}};
    } else {
      j["same_loss_optimal"] = nullptr;
    }
    jl.push_back(j);
    rows.push_back({law.id, format_si(n), sci(a.actual.flops), fmt::format("{:.0f}", a.actual.tokens_per_param()),
                    fmt::format("{:.1f}", a.compute_optimal.tokens_per_param()),
                    fmt::format("{:.1f}x", a.overtrain_factor), format_si(a.compute_optimal.params),
                    format_si(a.compute_optimal.tokens), loss_text(a.actual.loss), loss_text(a.compute_optimal.loss),
                    format_si(a.flops_per_token_inference_optimal() - a.flops_per_token_inference_actual())});
    if (a.same_loss) {
      auto be = a.tokens_breakeven();
      rows2.push_back({law.id, format_si(a.same_loss->params), format_si(a.same_loss->tokens), sci(a.same_loss->flops),
                       fmt::format("{:.0f}%", 100 * *a.flops_training_extra() / a.same_loss->flops),
                       format_si(*a.flops_per_token_saved_same_loss()), be ? format_si(*be) : "-"});
    }
  }
  out["laws"] = jl;
  Output result;
  if (render.json) {
    result.json = std::move(out);
    return result;
  }
  std::string& s = result.text;
  s += fmt::format("{}: {} parameters ({} active per token), trained on {} tokens ({})\n\n", m->name,
                   format_si(m->params_total), format_si(m->params_active), format_si(tokens),
                   o.tokens > 0 ? "--tokens" : m->tokens_source);
  s += "Against the compute-optimal model for the same training compute (C = 6 N D):\n\n";
  s += render_table({"law", "N", "compute", "tokens/param", "optimal t/p", "past optimum", "optimal N", "optimal D", "loss",
                   "optimal loss", "inference FLOPs/token saved"},
                  rows);
  if (!rows2.empty()) {
    s += "\nThe cheapest model reaching the same predicted loss, and when training longer pays back:\n\n";
    s += render_table({"law", "N", "D", "training compute", "extra paid", "FLOPs/token saved", "break-even tokens"}, rows2);
  }
  s += "\nNotes:\n"
       "  Inference FLOPs per token are 2 N (forward pass; attention over the context not included).\n"
       "  'break-even tokens': lifetime inference tokens after which the smaller, longer-trained model\n"
       "  has saved more inference compute than its extra training compute (Sardana et al. 2024).\n"
       "  Kaplan counts non-embedding parameters; its loss is on WebText2 and not comparable with the others.\n";
  return result;
}

Result<OvertrainOptions> overtrain_options(const Json& j) {
  OvertrainOptions o;
  OptionsReader r(j, "overtrain");
  r.model("model", o.model, o.model_config).read("tokens", o.tokens).read("law", o.law);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
