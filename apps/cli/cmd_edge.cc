// `flopscope edge MODEL --prompt P --output O --requests-per-day V`: serve a model on owned
// edge devices or rented cloud GPUs; per-request latency, cost, energy and CO2e, and the
// break-even volume (api/edge.h, docs/edge.md).
#include "command.h"
#include "flopscope/api/edge.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::EdgeOptions>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("MODEL", o->model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  sub.add_option("--prompt,-p", o->prompt, "Prompt tokens per request")->required();
  sub.add_option("--output,-o", o->output, "Generated tokens per request")->required();
  sub.add_option("--requests-per-day", o->requests_per_day, "Request volume")->required();
  sub.add_option("--batch,-b", o->batch, "Requests served together (latency is the batch's)")->capture_default_str();
  sub.add_option("--utilization", o->utilization, "Busy share a device or replica may reach, (0, 1]")->capture_default_str();
  sub.add_option("--edge", o->edge,
                 "Edge hardware ids, comma-separated (default: jetson-orin-nano-super, jetson-agx-orin-64gb, "
                 "apple-m2-ultra, rtx-4090, epyc-9654)")
      ->delimiter(',');
  sub.add_option("--cloud", o->cloud, "Cloud environments: catalog ids or names in --envs (default: every priced accelerator)")
      ->delimiter(',');
  sub.add_option("--envs", o->envs, "TOML file of named environments for --cloud (docs/transitions.md)");
  sub.add_option("--dtype", o->dtype, "Compute dtype (default bf16; fp16 or fp32 compute with 16-bit weights where a device lacks it)");
  sub.add_option("--lifetime-years", o->lifetime_years, "Years an edge device's price is spread over (default 3, data/edge/owned.toml)");
  sub.add_option("--usd-per-kwh", o->usd_per_kwh, "Electricity price at the edge (default: EIA US residential average)");
  sub.add_option("--purchase-usd", o->purchase_usd, "An edge device's price, HARDWARE=USD (repeat for more)");
  sub.add_option("--edge-region", o->edge_region, "Grid region of the edge devices for CO2e (default us; data/carbon/grid.toml)");
  sub.add_option("--edge-carbon-g-per-kwh", o->edge_carbon_g_per_kwh, "Grid intensity at the edge, gCO2e/kWh");
  sub.add_option("--region", o->region, "Grid region of the cloud options (default: the region of each price)");
  sub.add_option("--carbon-g-per-kwh", o->carbon_g_per_kwh, "Grid intensity of the cloud options, gCO2e/kWh");
  sub.add_flag("--json", *json, "Print JSON (SI units; keys in docs/edge.md)");
  set_examples(sub, {"flopscope edge llama-3.2-1b --prompt 512 --output 128 --requests-per-day 10000",
                     "flopscope edge llama-3.1-8b --prompt 1024 --output 256 --requests-per-day 50000 --edge rtx-4090,apple-m2-ultra "
                     "--cloud l4,h100-sxm --usd-per-kwh 0.25 --edge-region de",
                     "flopscope edge llama-3.1-8b -p 512 -o 128 --requests-per-day 2000 --purchase-usd jetson-agx-orin-64gb=1999 --json"});
  return [o, json] {
    api::Render r = render_for(*json);
    return print_output(api::edge(*o, r), r);
  };
}

FLOPSCOPE_COMMAND({"edge", "Edge or cloud: latency, cost, energy and CO2e per request, and the break-even volume", setup, 72});

}  // namespace
}  // namespace flopscope::cli
