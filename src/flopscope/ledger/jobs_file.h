// The jobs file: what each job ran, for its predicted MFU, and what it was planned to cost.
//
//   # jobs.toml
//   [jobs.llama-8b-pt]           # the job's name, as in the billing tag and the progress log
//   model = "llama-3.1-8b"       # catalog name, HF id or config.json path
//   hardware = "h100-sxm"        # hardware catalog id
//   gpus = 8
//   micro_batch = 2              # sequences per GPU per step (default 1)
//   seq = 4096                   # tokens per sequence (default 2048)
//   dtype = "bf16"               # compute dtype (default bf16)
//   usd_plan = 25000             # planned spend; `ledger check` flags spend above it
//
// A job's facts may also come from a progress JSONL header (importers.h); the jobs file
// wins field by field.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "flopscope/ledger/records.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// Parses a jobs file's text. Errors: "jobs.toml: jobs.x.gpus: expected a positive integer, got -1",
/// "jobs.toml: jobs.x: unknown field 'gpu', did you mean 'gpus'?".
Result<std::vector<JobMeta>> parse_jobs_toml(std::string_view text, std::string_view origin);
Result<std::vector<JobMeta>> load_jobs_toml(const std::string& path);

/// `base` with each job of `overrides` merged in field by field (set fields win).
std::vector<JobMeta> merge_jobs(std::vector<JobMeta> base, const std::vector<JobMeta>& overrides);

}  // namespace flopscope
