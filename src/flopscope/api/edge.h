// `edge`: serve a model on owned edge devices or rented cloud GPUs; per-request latency,
// cost, energy and CO2e at a daily volume, and the break-even volume (plan/edge.h,
// docs/edge.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct EdgeOptions {
  std::string model;               ///< catalog name, HF id, config.json, snapshot folder or .gguf
  Json model_config;               ///< a config.json object instead of `model` (JSON front ends)
  int64_t prompt = 0, output = 0, batch = 1;
  double requests_per_day = 0;
  double utilization = 0.5;        ///< busy share a device or replica may reach
  std::vector<std::string> edge;   ///< edge hardware ids (empty: the default set)
  std::vector<std::string> cloud;  ///< cloud environments: catalog ids or names in `envs` (empty: every priced accelerator)
  std::string envs;                ///< TOML file of named environments for `cloud`
  std::string dtype;               ///< compute dtype ("" = bf16, per device: docs/edge.md)
  double lifetime_years = 0;       ///< 0: data/edge/owned.toml (3)
  double usd_per_kwh = 0;          ///< 0: data/edge/owned.toml
  std::vector<std::string> purchase_usd;  ///< "ID=USD" prices over data/edge/owned.toml
  std::string edge_region;         ///< the edge's grid (default: owned.toml's, us)
  double edge_carbon_g_per_kwh = 0;
  std::string region;              ///< the cloud's grid (default: each price's region)
  double carbon_g_per_kwh = 0;     ///< the cloud's grid intensity
};

/// The edge document (docs/edge.md) or its text report.
Result<Output> edge(const EdgeOptions& options, const Render& render);

/// The JSON form: model, prompt, output, batch, requests_per_day, utilization, edge, cloud,
/// envs, dtype, lifetime_years, usd_per_kwh, purchase_usd, edge_region,
/// edge_carbon_g_per_kwh, region, carbon_g_per_kwh.
Result<EdgeOptions> edge_options(const Json& options);

}  // namespace flopscope::api
