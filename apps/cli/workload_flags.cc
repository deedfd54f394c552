#include "workload_flags.h"

namespace flopscope::cli {

void add_workload_flags(CLI::App& sub, WorkloadFlags& w) {
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
}

Status apply_pue_flag(const WorkloadFlags& w, std::vector<Environment>& envs) {
  if (auto st = validate_pue(w.pue, "--pue"); !st) return st;
  if (w.pue <= 0) return {};
  for (Environment& e : envs) e.pue = w.pue;
  return {};
}

Result<Job> to_job(const WorkloadFlags& w) {
  auto mode = parse_job_mode(w.mode);
  if (!mode) return mode.error();
  Job job;
  job.mode = *mode;
  job.tokens = w.tokens;
  job.seq = w.seq;
  job.micro_batch = w.micro_batch;
  job.requests = w.requests;
  job.batch = w.batch;
  job.prompt = w.prompt;
  job.output = w.output;
  return job;
}

}  // namespace flopscope::cli
