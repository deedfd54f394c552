// `flopscope ledger import | report | check`: the ledger of actual spend (docs/ledger.md).
// Thin: flags -> api/ledger.h (report, check) or the ledger importer (import, which reports
// each refused file and goes on) -> print. Results on stdout, one-line diagnostics on stderr;
// exit 0 ok, 1 a check rule fired (or a failure), 2 bad input.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "flopscope/api/ledger.h"
#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/import.h"
#include "flopscope/ledger/open_ledger.h"
#include "flopscope/util/units.h"

namespace flopscope::cli {
namespace {

// ---------------------------------------------------------------------------- import

struct ImportFlags {
  std::string db;
  std::vector<std::string> files;
  std::string format, job, host, job_tag = "job", time;
  bool json = false;
};

int run_import(const ImportFlags& f) {
  ImportOptions o;
  if (!f.format.empty()) {
    auto fmt_ = parse_ledger_format(f.format);
    if (!fmt_) return report_error(fmt_.error());
    o.format = *fmt_;
  }
  if (!f.time.empty()) {
    auto t = parse_utc_time(f.time);
    if (!t) return report_error(bad_input("--time: " + t.error().message));
    o.unix_seconds_scrape = *t;
  }
  if (f.job_tag.empty()) return report_error(bad_input("--job-tag: expected a tag key, got ''"));
  o.job = f.job;
  o.host = f.host;
  o.job_tag = f.job_tag;
  auto store = open_ledger(f.db);
  if (!store) return report_error(store.error());
  int rc = 0;
  nlohmann::json imports = nlohmann::json::array(), refused = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const std::string& file : f.files) {
    auto r = import_file(**store, file, o);
    if (!r) {
      rc = std::max(rc, report_error(r.error()));
      refused.push_back({{"path", file}, {"error", r.error().message}});
      continue;
    }
    imports.push_back({{"path", r->path},
                       {"format", std::string(ledger_format_name(r->format))},
                       {"already_imported", r->already_imported},
                       {"rows_read", r->rows_read},
                       {"rows_added", r->rows_added}});
    rows.push_back({r->path, std::string(ledger_format_name(r->format)),
                    r->already_imported ? "-" : format_count(r->rows_read),
                    r->already_imported ? "0" : format_count(r->rows_added),
                    r->already_imported ? "already imported" : "imported"});
  }
  if (f.json) {
    print_json({{"db", ledger_display_name(f.db)}, {"imports", imports}, {"refused", refused}});
  } else if (!rows.empty()) {
    print_table({"file", "format", "rows", "new", "status"}, rows);
  }
  return rc;
}

// ---------------------------------------------------------------------- report, check

void add_report_flags(CLI::App& sub, api::LedgerReportOptions& f, bool& json) {
  sub.add_option("--db", f.db, "The ledger: an SQLite file or a postgresql:// URL")->required();
  sub.add_option("--jobs", f.jobs, "Jobs file (TOML): model, hardware, gpus, micro_batch, seq, usd_plan per job");
  sub.add_option("--cap", f.cap, "Monthly spending cap in US dollars");
  sub.add_option("--window", f.window, "Days of spend the burn rate averages (default 7)");
  sub.add_option("--idle-util", f.idle_util, "Utilization (percent) under which a GPU counts as idle (default 10)");
  sub.add_option("--region", f.region, "Grid region for CO2e: us-east-1, us-central1, eastus, us, de, ... (data/carbon/grid.toml)");
  sub.add_option("--carbon-g-per-kwh", f.carbon_g_per_kwh, "Grid intensity for CO2e, gCO2e/kWh (over --region)");
  sub.add_option("--pue", f.pue, "Data-centre PUE on measured and predicted energy (default: data/hardware/power.toml)");
  sub.add_flag("--json", json, "JSON output");
}

std::function<int()> setup(CLI::App& sub) {
  auto exit_code = std::make_shared<int>(0);
  sub.require_subcommand(1);

  auto in = std::make_shared<ImportFlags>();
  CLI::App* imp = sub.add_subcommand("import", "Import billing (FOCUS), GPU telemetry and training progress files");
  imp->add_option("--db", in->db, "The ledger: an SQLite file (created when absent) or a postgresql:// URL")->required();
  imp->add_option("files", in->files, "Files to import, each in one transaction")->required();
  imp->add_option("--format", in->format, "focus, nvidia-smi, dcgm, jsonl or trainer-state (default: detected)");
  imp->add_option("--job", in->job, "Job of telemetry rows, and of progress rows that name none");
  imp->add_option("--host", in->host, "Host of nvidia-smi rows");
  imp->add_option("--job-tag", in->job_tag, "FOCUS Tags key that names the job (default: job)");
  imp->add_option("--time", in->time, "DCGM: time of samples without a timestamp (ISO 8601)");
  imp->add_flag("--json", in->json, "JSON output");
  set_examples(*imp, {"flopscope ledger import --db spend.db focus-2024-09.csv",
                      "flopscope ledger import --db spend.db --job llama-8b-pt --host node-1 nvidia-smi.csv",
                      "flopscope ledger import --db spend.db --job llama-8b-pt --time 2024-09-01T12:00:00Z dcgm.prom",
                      "flopscope ledger import --db spend.db progress.jsonl out/trainer_state.json --json",
                      "flopscope ledger import --db postgresql://finops@db.internal/ledger focus-2024-09.csv"});
  imp->callback([in, exit_code] { *exit_code = run_import(*in); });

  auto rep = std::make_shared<api::LedgerReportOptions>();
  auto rep_json = std::make_shared<bool>(false);
  CLI::App* report = sub.add_subcommand("report", "Spend by job, tag and period; burn rate and cap; realized vs predicted MFU");
  add_report_flags(*report, *rep, *rep_json);
  report->add_option("--period", rep->period, "day or month (default month)");
  set_examples(*report, {"flopscope ledger report --db spend.db",
                         "flopscope ledger report --db spend.db --cap 50000 --period day",
                         "flopscope ledger report --db spend.db --jobs jobs.toml --json",
                         "flopscope ledger report --db postgresql://finops@db.internal/ledger --cap 50000"});
  report->callback([rep, rep_json, exit_code] {
    api::Render r = render_for(*rep_json);
    *exit_code = print_output(api::ledger_report(*rep, r), r);
  });

  auto chk = std::make_shared<api::LedgerCheckOptions>();
  auto chk_json = std::make_shared<bool>(false);
  CLI::App* check = sub.add_subcommand("check", "Find waste: idle GPUs, MFU far under prediction, spend over plan or cap; exit 1 when found");
  add_report_flags(*check, chk->report, *chk_json);
  check->add_option("--idle-hours", chk->idle_hours, "Idle GPU-hours a job may have (default 1)");
  check->add_option("--mfu-ratio", chk->mfu_ratio, "Flag realized MFU under this fraction of predicted (default 0.5)");
  set_examples(*check, {"flopscope ledger check --db spend.db --cap 50000",
                        "flopscope ledger check --db spend.db --jobs jobs.toml --idle-util 5 --idle-hours 8 --mfu-ratio 0.6",
                        "flopscope ledger check --db spend.db --json || notify-team"});
  check->callback([chk, chk_json, exit_code] {
    api::Render r = render_for(*chk_json);
    auto found = api::ledger_check_findings(*chk, r);
    if (!found) {
      *exit_code = report_error(found.error());
      return;
    }
    *exit_code = print_output(found->output, r);
    if (*exit_code == 0 && !found->clean) *exit_code = 1;  // a rule fired
  });

  set_examples(sub, {"flopscope ledger import --db spend.db billing.csv nvidia-smi.csv progress.jsonl",
                     "flopscope ledger report --db spend.db --cap 50000",
                     "flopscope ledger check --db spend.db --jobs jobs.toml", "flopscope ledger <subcommand> --help"});
  return [exit_code]() -> int { return *exit_code; };
}

FLOPSCOPE_COMMAND({"ledger", "The ledger of actual spend: import billing and telemetry, report, check for waste", setup, 70});

}  // namespace
}  // namespace flopscope::cli
