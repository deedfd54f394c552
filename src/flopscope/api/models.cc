#include "flopscope/api/models.h"

#include "flopscope/api/options.h"
#include "flopscope/cost/params.h"
#include "flopscope/model/load.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

Result<Output> models(const ModelsOptions&, const Render& render) {
  Json list = Json::array();
  Table t({"name", "hf id", "type", "params", "active", "tokens trained", "release"},
          {false, false, false, true, true, true, false});
  for (const auto& f : model_catalog()) {
    auto spec = load_model(f.name);
    if (!spec) return spec.error();
    ParamCounts p = count_params(*spec);
    list.push_back({{"name", f.name},
                    {"hf_id", f.hf_id},
                    {"model_type", spec->model_type},
                    {"params", p.total},
                    {"params_active", p.active},
                    {"tokens_trained", f.tokens_trained},
                    {"release", f.release},
                    {"source", f.source}});
    t.add({f.name, f.hf_id, spec->model_type, format_si(static_cast<double>(p.total)),
           p.active != p.total ? format_si(static_cast<double>(p.active)) : "",
           f.tokens_trained > 0 ? format_si(f.tokens_trained) : "-", f.release});
  }
  Output out;
  if (render.json) {
    out.json = {{"models", list}};
  } else {
    out.text = t.render() + style(render, "\nAny config.json, snapshot folder or .gguf file works too: flopscope count PATH\n", "2");
  }
  return out;
}

Result<ModelsOptions> models_options(const Json& options) {
  OptionsReader r(options, "models");
  if (auto st = r.done(); !st) return st.error();
  return ModelsOptions{};
}

}  // namespace flopscope::api
