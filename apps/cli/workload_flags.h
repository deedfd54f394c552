// The workload flags `transition` and `rank` share: a model and what it is asked to do
// (train / finetune on tokens, or serve requests), turned into a plan::Job.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "flopscope/plan/job.h"
#include "flopscope/util/result.h"

namespace flopscope::cli {

struct WorkloadFlags {
  std::string model, mode = "train";
  double tokens = 0;
  int64_t seq = 2048, micro_batch = 1, requests = 0, batch = 1, prompt = 0, output = 0;
  double pue = 0;  ///< --pue: > 0 overrides every environment's PUE (hw/power.h)
};

/// Adds MODEL, --mode, --tokens, --seq, --micro-batch, --requests, --batch, --prompt, --output, --pue.
void add_workload_flags(CLI::App& sub, WorkloadFlags& w);

/// Sets every environment's PUE to --pue when it is given (checked: 1 to 10).
Status apply_pue_flag(const WorkloadFlags& w, std::vector<Environment>& envs);

/// The job the flags describe; an unknown --mode is a bad-input error.
Result<Job> to_job(const WorkloadFlags& w);

}  // namespace flopscope::cli
