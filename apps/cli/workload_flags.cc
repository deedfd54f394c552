#include "workload_flags.h"

namespace flopscope::cli {

void add_workload_flags(CLI::App& sub, api::WorkloadOptions& w) {
  sub.add_option("MODEL", w.model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  sub.add_option("--mode", w.mode, "train, finetune or infer")->capture_default_str();
  sub.add_option("--tokens", w.tokens, "train/finetune: tokens to process (e.g. 1e9)");
  sub.add_option("--seq", w.seq, "train/finetune: tokens per sequence")->capture_default_str();
  sub.add_option("--micro-batch", w.micro_batch, "train/finetune: sequences per device per step")->capture_default_str();
  sub.add_option("--requests", w.requests, "infer: requests in all (default: --batch)");
  sub.add_option("--batch,-b", w.batch, "infer: requests served together")->capture_default_str();
  sub.add_option("--prompt,-p", w.prompt, "infer: prompt tokens per request");
  sub.add_option("--output,-o", w.output, "infer: generated tokens per request");
  sub.add_option("--pue", w.pue,
                 "Data-centre PUE for every environment, >= 1 (default: the env's, else data/hardware/power.toml: "
                 "Uptime Institute 2023 average)");
  sub.add_option("--region", w.region,
                 "Grid region for CO2e, every environment: a cloud region (us-east-1, us-central1, eastus) or a "
                 "country code (us, de, fr); default: the region of the price (data/carbon/grid.toml)");
  sub.add_option("--carbon-g-per-kwh", w.carbon_g_per_kwh, "Grid intensity for every environment, gCO2e/kWh (overrides --region)");
}

}  // namespace flopscope::cli
