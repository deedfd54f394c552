#include "flopscope/plan/budget.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <toml++/toml.h>

#include "flopscope/util/file.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {
namespace {

// Days in a planning month: 365 / 12 (kBudgetHoursPerMonth / 24).
constexpr double kDaysPerMonth = kBudgetHoursPerMonth / 24;
// Largest token count, request count, length and rate a job may name: far above any real
// job, far below where seconds or dollars overflow.
constexpr double kMaxTokens = 1e15;
constexpr int64_t kMaxRequests = int64_t{1} << 40;
constexpr int64_t kMaxLength = int64_t{1} << 24;
constexpr double kMaxRate = 1e6;
constexpr double kMaxUsd = 1e12;

const std::vector<std::string> kRootKeys = {"start", "months", "budget", "env", "job"};
const std::vector<std::string> kBudgetKeys = {"usd", "period"};
const std::vector<std::string> kJobKeys = {"kind",   "model",  "priority", "deadline", "deadline_months",
                                           "tokens", "seq",    "micro_batch", "requests", "batch",
                                           "prompt", "output", "rate",     "slo_ttft_p95", "slo_itl_p95",
                                           "months", "retrain", "per_year"};

int64_t days_of(const toml::date& d) {
  using namespace std::chrono;
  return sys_days(year_month_day(year(d.year), month(d.month), day(d.day))).time_since_epoch().count();
}

std::string date_text(const toml::date& d) { return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day); }

// Keys of `t` a job of `kind` may not carry (a serve job with tokens is a mistake).
std::optional<Error> check_kind_keys(const toml::table& t, BudgetJobKind kind, const TomlReader& r) {
  std::vector<std::string> allowed = {"kind", "model", "priority", "deadline", "deadline_months"};
  auto add = [&](std::initializer_list<const char*> keys) {
    for (const char* k : keys) allowed.push_back(k);
  };
  switch (kind) {
    case BudgetJobKind::kTrain:
    case BudgetJobKind::kFinetune: add({"tokens", "seq", "micro_batch"}); break;
    case BudgetJobKind::kEval: add({"tokens", "requests", "batch", "prompt", "output"}); break;
    case BudgetJobKind::kServe: add({"rate", "prompt", "output", "slo_ttft_p95", "slo_itl_p95", "months"}); break;
    case BudgetJobKind::kRetrain: add({"retrain", "tokens", "seq", "micro_batch", "per_year"}); break;
  }
  for (const auto& [key, node] : t) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    if (std::find(kJobKeys.begin(), kJobKeys.end(), key.str()) != kJobKeys.end()) {
      return r.at(key.str(), fmt::format("not a field of a {} job", budget_job_kind_name(kind)));
    }
    return r.unknown_field(key.str(), allowed);
  }
  return std::nullopt;
}

std::optional<Error> require_number(const toml::table& t, std::string_view key, double& out, double max,
                                    const TomlReader& r, const char* what = "a positive number") {
  const toml::node* n = t.get(key);
  if (!n) return r.at(key, fmt::format("missing, expected {}", what));
  if (auto e = r.read(t, key, Sign::kPositive, out)) return e;
  if (out > max) return r.at(key, fmt::format("expected at most {:g} (docs/budget.md, \"Limits\"), got {:g}", max, out));
  return std::nullopt;
}

std::optional<Error> read_length(const toml::table& t, std::string_view key, int64_t& out, const TomlReader& r,
                                 bool required) {
  if (required && !t.get(key)) return r.at(key, "missing, expected a positive integer (tokens)");
  if (auto e = r.read(t, key, Sign::kPositive, out)) return e;
  if (out > kMaxLength) return r.at(key, fmt::format("expected at most {} tokens, got {}", kMaxLength, out));
  return std::nullopt;
}

Result<BudgetJob> read_job(const toml::table& t, const std::string& name, const TomlReader& r,
                           std::optional<int64_t> start_days, std::string_view folder) {
  BudgetJob j;
  j.name = name;
  const toml::node* kind = t.get("kind");
  if (!kind) return r.at("kind", "missing, expected train, finetune, eval, serve or retrain");
  std::string k;
  if (auto e = r.read(t, "kind", k)) return *e;
  if (k == "train") j.kind = BudgetJobKind::kTrain;
  else if (k == "finetune" || k == "fine-tune") j.kind = BudgetJobKind::kFinetune;
  else if (k == "eval") j.kind = BudgetJobKind::kEval;
  else if (k == "serve") j.kind = BudgetJobKind::kServe;
  else if (k == "retrain") j.kind = BudgetJobKind::kRetrain;
  else return r.expected("kind", "train, finetune, eval, serve or retrain", *kind);
  if (auto e = check_kind_keys(t, j.kind, r)) return *e;

  if (!t.get("model")) return r.at("model", "missing, expected a catalog name, HF id or config.json path");
  if (auto e = r.read(t, "model", j.model)) return *e;
  if (j.model.empty()) return r.at("model", "expected a catalog name, HF id or config.json path, got ''");
  j.model_path = j.model;
  if (!folder.empty()) {
    std::filesystem::path p = std::filesystem::path(folder) / j.model;
    std::error_code ec;
    if (std::filesystem::path(j.model).is_relative() && std::filesystem::exists(p, ec)) j.model_path = p.string();
  }
  if (auto e = r.read(t, "priority", Sign::kPositive, j.priority)) return *e;
  if (j.priority > 1000000) return r.at("priority", fmt::format("expected at most 1000000, got {}", j.priority));

  // Deadline: a date (needs `start`) or a number of months.
  const bool needs_deadline = j.kind == BudgetJobKind::kTrain || j.kind == BudgetJobKind::kFinetune ||
                              j.kind == BudgetJobKind::kEval;
  const toml::node* date = t.get("deadline");
  if (date && t.get("deadline_months")) return r.at("deadline", "give deadline or deadline_months, not both");
  if (date) {
    if (!date->is_date()) return r.expected("deadline", "a date (2027-04-01); deadline_months takes a number", *date);
    if (!start_days) return r.at("deadline", "a date needs `start = YYYY-MM-DD` at the top of the file");
    const int64_t days = days_of(date->as_date()->get()) - *start_days;
    if (days <= 0) {
      return r.at("deadline", fmt::format("expected a date after start, got {}", date_text(date->as_date()->get())));
    }
    j.deadline_months = static_cast<double>(days) / kDaysPerMonth;
  } else if (t.get("deadline_months")) {
    if (auto e = r.read(t, "deadline_months", Sign::kPositive, j.deadline_months)) return *e;
  } else if (needs_deadline) {
    return r.at("deadline", "missing, expected a date (deadline = 2027-04-01) or deadline_months = N");
  } else {
    j.deadline_months = 1;  // serve, retrain: live in the first month
  }
  if (j.deadline_months > static_cast<double>(kBudgetMaxMonths)) {
    return r.at(date ? "deadline" : "deadline_months",
                fmt::format("expected at most {} months from start, got {:.3g}", kBudgetMaxMonths, j.deadline_months));
  }

  switch (j.kind) {
    case BudgetJobKind::kTrain:
    case BudgetJobKind::kFinetune:
    case BudgetJobKind::kRetrain:
      if (auto e = require_number(t, "tokens", j.tokens, kMaxTokens, r)) return *e;
      if (auto e = read_length(t, "seq", j.seq, r, false)) return *e;
      if (auto e = r.read(t, "micro_batch", Sign::kPositive, j.micro_batch)) return *e;
      if (j.micro_batch > 4096) return r.at("micro_batch", fmt::format("expected at most 4096, got {}", j.micro_batch));
      break;
    case BudgetJobKind::kEval: {
      if (auto e = read_length(t, "prompt", j.prompt, r, true)) return *e;
      if (auto e = read_length(t, "output", j.output, r, true)) return *e;
      if (auto e = r.read(t, "batch", Sign::kPositive, j.batch)) return *e;
      if (j.batch > 4096) return r.at("batch", fmt::format("expected at most 4096, got {}", j.batch));
      const bool has_tokens = t.get("tokens") != nullptr, has_requests = t.get("requests") != nullptr;
      if (has_tokens == has_requests) return r.at("requests", "expected requests or tokens (one of them)");
      if (has_requests) {
        if (auto e = r.read(t, "requests", Sign::kPositive, j.requests)) return *e;
      } else {
        if (auto e = require_number(t, "tokens", j.tokens, kMaxTokens, r)) return *e;
        j.requests = static_cast<int64_t>(std::ceil(j.tokens / static_cast<double>(j.prompt + j.output)));
      }
      if (j.requests > kMaxRequests) return r.at("requests", fmt::format("expected at most {}, got {}", kMaxRequests, j.requests));
      break;
    }
    case BudgetJobKind::kServe:
      if (auto e = require_number(t, "rate", j.rate, kMaxRate, r, "requests per second above 0")) return *e;
      if (auto e = read_length(t, "prompt", j.prompt, r, true)) return *e;
      if (auto e = read_length(t, "output", j.output, r, true)) return *e;
      if (auto e = require_number(t, "slo_ttft_p95", j.slo_ttft_p95, 3600, r, "seconds above 0")) return *e;
      if (auto e = require_number(t, "slo_itl_p95", j.slo_itl_p95, 3600, r, "seconds above 0")) return *e;
      if (auto e = r.read(t, "months", Sign::kPositive, j.months)) return *e;
      if (j.months > static_cast<double>(kBudgetMaxMonths)) {
        return r.at("months", fmt::format("expected at most {}, got {:g}", kBudgetMaxMonths, j.months));
      }
      break;
  }
  if (j.kind == BudgetJobKind::kRetrain) {
    const toml::node* how = t.get("retrain");
    if (!how) return r.at("retrain", "missing, expected full or finetune");
    std::string s;
    if (auto e = r.read(t, "retrain", s)) return *e;
    if (s == "full") j.retrain_full = true;
    else if (s == "finetune" || s == "fine-tune") j.retrain_full = false;
    else return r.expected("retrain", "full or finetune", *how);
    if (auto e = require_number(t, "per_year", j.per_year, 365, r, "runs per year above 0 (drift's retrains_per_year)")) {
      return *e;
    }
  }
  return j;
}

}  // namespace

const char* budget_job_kind_name(BudgetJobKind k) {
  switch (k) {
    case BudgetJobKind::kTrain: return "train";
    case BudgetJobKind::kFinetune: return "finetune";
    case BudgetJobKind::kEval: return "eval";
    case BudgetJobKind::kServe: return "serve";
    case BudgetJobKind::kRetrain: return "retrain";
  }
  return "?";
}

const char* budget_period_name(BudgetPeriod p) {
  switch (p) {
    case BudgetPeriod::kMonth: return "month";
    case BudgetPeriod::kQuarter: return "quarter";
    case BudgetPeriod::kYear: return "year";
  }
  return "?";
}

int64_t budget_period_months(BudgetPeriod p) {
  switch (p) {
    case BudgetPeriod::kMonth: return 1;
    case BudgetPeriod::kQuarter: return 3;
    case BudgetPeriod::kYear: return 12;
  }
  return 1;
}

Result<Portfolio> parse_portfolio(std::string_view toml_text, std::string_view origin, std::string_view folder) {
  auto parsed = parse_toml(toml_text, origin);
  if (!parsed) return parsed.error();
  const toml::table& root = *parsed;
  TomlReader r(origin);
  if (auto e = r.check_keys(root, kRootKeys)) return *e;
  Portfolio p;
  p.origin = std::string(origin);

  std::optional<int64_t> start_days;
  if (const toml::node* s = root.get("start")) {
    if (!s->is_date()) return r.expected("start", "a date (start = 2027-01-01)", *s);
    start_days = days_of(s->as_date()->get());
    p.start = date_text(s->as_date()->get());
  }
  if (auto e = r.read(root, "months", Sign::kPositive, p.months)) return *e;
  if (p.months > kBudgetMaxMonths) {
    return r.at("months", fmt::format("expected at most {} (docs/budget.md, \"Limits\"), got {}", kBudgetMaxMonths, p.months));
  }

  const toml::table* budget = nullptr;
  if (auto e = r.sub_table(root, "budget", budget)) return *e;
  if (!budget) return r.at("budget", "missing, expected a [budget] table with usd (the cap per period)");
  TomlReader br = r.nested("budget");
  if (auto e = br.check_keys(*budget, kBudgetKeys)) return *e;
  if (auto e = require_number(*budget, "usd", p.usd_cap, kMaxUsd, br, "US dollars per period above 0")) return *e;
  if (const toml::node* per = budget->get("period")) {
    std::string s;
    if (auto e = br.read(*budget, "period", s)) return *e;
    if (s == "month") p.period = BudgetPeriod::kMonth;
    else if (s == "quarter") p.period = BudgetPeriod::kQuarter;
    else if (s == "year") p.period = BudgetPeriod::kYear;
    else return br.expected("period", "month, quarter or year", *per);
  }

  // Environments: envs.toml's fields (parse_environments reads them) plus gpus and reserved.
  const toml::table* envs = nullptr;
  if (auto e = r.sub_table(root, "env", envs)) return *e;
  if (!envs || envs->empty()) return r.at("env", "missing, expected [env.NAME] tables with hardware and gpus");
  if (static_cast<int64_t>(envs->size()) > kBudgetMaxEnvs) {
    return r.at("env", fmt::format("expected at most {} environments (docs/budget.md, \"Limits\"), got {}", kBudgetMaxEnvs,
                                   envs->size()));
  }
  toml::table env_only;
  std::vector<BudgetEnv> limits;
  for (const auto& [key, node] : *envs) {
    std::string name(key.str());
    TomlReader er = r.nested("env").nested(name);
    if (!node.is_table()) return er.expected("", "a table", node);
    toml::table copy = *node.as_table();
    BudgetEnv be;
    if (!copy.get("gpus")) return er.at("gpus", "missing, expected the GPUs available (a positive integer)");
    if (auto e = er.read(copy, "gpus", Sign::kPositive, be.gpus)) return *e;
    if (be.gpus > kBudgetMaxGpus) {
      return er.at("gpus", fmt::format("expected at most {} (docs/budget.md, \"Limits\"), got {}", kBudgetMaxGpus, be.gpus));
    }
    if (auto e = er.read(copy, "reserved_gpu_hours_per_month", Sign::kNonNegative, be.reserved_gpu_hours_per_month)) {
      return *e;
    }
    const double most = static_cast<double>(be.gpus) * kBudgetHoursPerMonth;
    if (be.reserved_gpu_hours_per_month > most) {
      return er.at("reserved_gpu_hours_per_month",
                   fmt::format("expected at most gpus x {:g} hours = {:g}, got {:g}", kBudgetHoursPerMonth, most,
                               be.reserved_gpu_hours_per_month));
    }
    copy.erase("gpus");
    copy.erase("reserved_gpu_hours_per_month");
    env_only.insert(name, std::move(copy));
    be.env.name = name;
    limits.push_back(be);
  }
  std::ostringstream env_text;
  env_text << toml::table{{"env", std::move(env_only)}};
  auto set = parse_environments(env_text.str(), origin);
  if (!set) return set.error();
  for (BudgetEnv& be : limits) {
    auto env = set->find(be.env.name);
    if (!env) return env.error();
    be.env = *env;
    p.envs.push_back(std::move(be));
  }

  const toml::table* jobs = nullptr;
  if (auto e = r.sub_table(root, "job", jobs)) return *e;
  if (!jobs || jobs->empty()) return r.at("job", "missing, expected [job.NAME] tables");
  if (static_cast<int64_t>(jobs->size()) > kBudgetMaxJobs) {
    return r.at("job", fmt::format("expected at most {} jobs (docs/budget.md, \"Limits\"), got {}", kBudgetMaxJobs,
                                   jobs->size()));
  }
  double latest = 1;
  for (const auto& [key, node] : *jobs) {
    std::string name(key.str());
    TomlReader jr = r.nested("job").nested(name);
    if (!node.is_table()) return jr.expected("", "a table", node);
    auto job = read_job(*node.as_table(), name, jr, start_days, folder);
    if (!job) return job.error();
    latest = std::max(latest, job->deadline_months);
    if (job->kind == BudgetJobKind::kServe && job->months > 0) latest = std::max(latest, job->months + job->deadline_months - 1);
    p.jobs.push_back(std::move(*job));
  }
  if (p.months == 0) p.months = std::min<int64_t>(kBudgetMaxMonths, static_cast<int64_t>(std::ceil(latest - 1e-9)));
  for (const BudgetJob& j : p.jobs) {
    if (j.deadline_months > static_cast<double>(p.months) + 1e-9 &&
        (j.kind == BudgetJobKind::kTrain || j.kind == BudgetJobKind::kFinetune || j.kind == BudgetJobKind::kEval)) {
      return r.nested("job").nested(j.name).at(
          "deadline", fmt::format("expected a deadline within the horizon (months = {}), got {:.3g} months", p.months,
                                  j.deadline_months));
    }
  }
  return p;
}

Result<Portfolio> load_portfolio(const std::string& path) {
  auto text = read_file(path, size_t{4} << 20);
  if (!text) return text.error();
  const std::string folder = std::filesystem::path(path).parent_path().string();
  auto p = parse_portfolio(*text, path, folder.empty() ? "." : folder);
  if (!p) return p.error();
  for (BudgetEnv& be : p->envs) {
    Environment& e = be.env;
    if (e.profile_path.empty()) continue;
    std::filesystem::path prof(e.profile_path);
    if (prof.is_relative()) prof = std::filesystem::path(folder.empty() ? "." : folder) / prof;
    auto profile = load_calibration_profile(prof.string());
    if (!profile) return bad_input(fmt::format("{}: env.{}.profile: {}", path, e.name, profile.error().message));
    e.profile = std::move(*profile);
  }
  return p;
}

}  // namespace flopscope
