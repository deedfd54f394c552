// `flopscope probe [--json] [--out FILE] [--quick] [--cpu-only] [--hardware ID]`: measures
// this machine (GPU through CUDA when built with it and a device is present, and the CPU
// always), prints each figure against the catalog peak, and writes a calibration profile
// that `flopscope predict --profile FILE` uses (docs/calibration.md).
#include "command.h"
#include "flopscope/api/probe.h"
#include "progress_line.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup_probe(CLI::App& sub) {
  auto args = std::make_shared<api::ProbeOptions>();
  auto json = std::make_shared<bool>(false);
  sub.add_flag("--json", *json, "Print JSON (SI units) instead of tables");
  sub.add_option("--out", args->out,
                 "Write the calibration profile (TOML) here: the GPU's when one was measured, else the CPU's")
      ->option_text("FILE");
  sub.add_flag("--quick", args->quick, "Fewer shapes and repetitions (about a second on the CPU)");
  sub.add_flag("--cpu-only", args->cpu_only, "Do not look for a GPU");
  sub.add_option("--hardware", args->hardware,
                 "Catalog id to compare the profiled device with (default: matched from its name)")
      ->option_text("ID");
  sub.add_option("--python", args->python,
                 "Python with PyTorch that times attention and the eager host cost on the GPU (default python3; "
                 "'none': skip)")
      ->option_text("PROGRAM");
  sub.add_option("--python-limit", args->python_limit,
                 "Seconds the PyTorch part may take before it is stopped (1 to 86400, default 600)")
      ->option_text("SECONDS");
  set_examples(sub, {"flopscope probe", "flopscope probe --quick --cpu-only",
                     "flopscope probe --out my-h100.profile.toml --hardware h100-sxm",
                     "flopscope probe --json > probe.json",
                     "flopscope probe --python ~/venv/bin/python --out my-h200.profile.toml"});
  return [args, json] {
    ProgressLine progress("probe");
    api::ProbeOptions o = *args;
    if (progress.on()) o.progress = [&progress](const std::string& line) { progress.show(line); };
    api::Render r = render_for(*json);
    auto out = api::probe(o, r);
    progress.done();
    return print_output(out, r);
  };
}

FLOPSCOPE_COMMAND({"probe", "Measure this machine (GEMM, attention, bandwidth, launch and host cost) into a profile",
                   setup_probe, 60});

}  // namespace
}  // namespace flopscope::cli
