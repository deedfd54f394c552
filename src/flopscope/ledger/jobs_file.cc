#include "flopscope/ledger/jobs_file.h"

#include "flopscope/util/file.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {

Result<std::vector<JobMeta>> parse_jobs_toml(std::string_view text, std::string_view origin) {
  auto doc = parse_toml(text, origin);
  if (!doc) return doc.error();
  TomlReader root(origin);
  if (auto e = root.check_keys(*doc, {"jobs"})) return *e;
  const toml::table* jobs = nullptr;
  if (auto e = root.sub_table(*doc, "jobs", jobs)) return *e;
  std::vector<JobMeta> out;
  if (!jobs) return out;
  TomlReader jr = root.nested("jobs");
  for (const std::string& name : keys_in_file_order(*jobs)) {
    const toml::table* t = nullptr;
    if (auto e = jr.sub_table(*jobs, name, t)) return *e;
    if (!t) continue;
    TomlReader r = jr.nested(name);
    if (auto e = r.check_keys(*t, {"model", "hardware", "gpus", "micro_batch", "seq", "dtype", "usd_plan"})) return *e;
    JobMeta j;
    j.job = name;
    if (auto e = r.read(*t, "model", j.model)) return *e;
    if (auto e = r.read(*t, "hardware", j.hardware)) return *e;
    if (auto e = r.read(*t, "dtype", j.dtype)) return *e;
    if (auto e = r.read(*t, "gpus", Sign::kPositive, j.gpus)) return *e;
    if (auto e = r.read(*t, "micro_batch", Sign::kPositive, j.micro_batch)) return *e;
    if (auto e = r.read(*t, "seq", Sign::kPositive, j.seq)) return *e;
    if (auto e = r.read(*t, "usd_plan", Sign::kNonNegative, j.usd_plan)) return *e;
    out.push_back(std::move(j));
  }
  return out;
}

Result<std::vector<JobMeta>> load_jobs_toml(const std::string& path) {
  auto text = read_file(path, size_t{4} << 20);
  if (!text) return text.error();
  return parse_jobs_toml(*text, path);
}

std::vector<JobMeta> merge_jobs(std::vector<JobMeta> base, const std::vector<JobMeta>& overrides) {
  for (const JobMeta& o : overrides) {
    JobMeta* b = nullptr;
    for (auto& x : base) {
      if (x.job == o.job) b = &x;
    }
    if (!b) {
      base.push_back(o);
      continue;
    }
    if (!o.model.empty()) b->model = o.model;
    if (!o.hardware.empty()) b->hardware = o.hardware;
    if (!o.dtype.empty()) b->dtype = o.dtype;
    if (o.gpus > 0) b->gpus = o.gpus;
    if (o.micro_batch > 0) b->micro_batch = o.micro_batch;
    if (o.seq > 0) b->seq = o.seq;
    if (o.usd_plan) b->usd_plan = o.usd_plan;
  }
  return base;
}

}  // namespace flopscope
