// `transition`: what moving a workload to another environment gains or loses, with the
// factors behind it (plan/transition.h, docs/transitions.md). Also the workload options that
// `transition` and `rank` share: a model and what it is asked to do (train / finetune on
// tokens, or serve requests).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/plan/job.h"
#include "flopscope/plan/transition.h"

namespace flopscope::api {

class OptionsReader;

struct WorkloadOptions {
  std::string model;   ///< catalog name, HF id, config.json, snapshot folder or .gguf
  Json model_config;   ///< a config.json object instead of `model` (JSON front ends)
  std::string mode = "train";  ///< train, finetune or infer
  double tokens = 0;   ///< train/finetune: tokens to process
  int64_t seq = 2048, micro_batch = 1;    ///< train/finetune
  int64_t requests = 0, batch = 1, prompt = 0, output = 0;  ///< infer
  double pue = 0;      ///< > 0 overrides every environment's PUE (hw/power.h; checked: 1 to 10)
  std::string region;  ///< grid region for carbon, every environment (data/carbon/grid.toml; plan/carbon.h)
  double carbon_g_per_kwh = 0;  ///< > 0 overrides every environment's grid intensity
};

/// The job the options describe, checked (an unknown mode, bad sizes: the CLI's flag names).
Result<Job> workload_job(const WorkloadOptions& w);

/// Sets every environment's PUE to `w.pue` when it is given (checked as --pue), and its
/// grid region and intensity when given (--region, --carbon-g-per-kwh; plan/carbon.h).
Status apply_pue(const WorkloadOptions& w, std::vector<Environment>& envs);

/// Reads the workload keys: model, mode, tokens, seq, micro_batch, requests, batch, prompt,
/// output, pue, region, carbon_g_per_kwh.
void read_workload(OptionsReader& r, WorkloadOptions& w);

struct TransitionOptions : WorkloadOptions {
  std::string envs;       ///< TOML file of named environments
  std::string from, to;   ///< a name in `envs` or a catalog hardware id
  TransitionWeights weights;
  MigrationCosts migration;
};

/// The transition document (docs/transitions.md) or its text report.
Result<Output> transition(const TransitionOptions& options, const Render& render);

/// The JSON form: the workload keys and envs, from, to, weight_time, weight_cost, egress_gb,
/// usd_per_gb, engineer_hours, usd_per_engineer_hour.
Result<TransitionOptions> transition_options(const Json& options);

}  // namespace flopscope::api
