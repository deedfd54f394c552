// `flopscope probe [--json] [--out FILE] [--quick] [--cpu-only] [--hardware ID]`: measures
// this machine (GPU through CUDA when built with it and a device is present, and the CPU
// always), prints each figure against the catalog peak, and writes a calibration profile
// that `flopscope predict --profile FILE` uses (docs/calibration.md).
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "progress_line.h"
#include "flopscope/hw/calibration.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/probe/cpu_probe.h"
#include "flopscope/probe/cuda_probe.h"
#include "flopscope/probe/figures.h"
#include "flopscope/probe/torch_probe.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"

namespace flopscope::cli {
namespace {

struct ProbeArgs {
  bool json = false;
  bool quick = false;
  bool cpu_only = false;
  std::string out;
  std::string hardware;
  std::string python = "python3";
  double python_limit = 600;
};

// One measured device: its profile, the catalog entry it was compared with, and notes.
struct Measured {
  std::string kind;  // "gpu" or "cpu"
  CalibrationProfile profile;
  const Hardware* hw = nullptr;
  std::vector<std::string> notes;
};


std::string format_value(double v, const std::string& unit) {
  if (unit == "s") return format_seconds(v);
  return format_si(v, unit);
}

nlohmann::json or_null(double v) { return v > 0 ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json profile_json(const CalibrationProfile& p) {
  nlohmann::json gemm = nlohmann::json::array();
  for (const auto& g : p.gemm) {
    gemm.push_back({{"dtype", dtype_name(g.dtype)},
                    {"m", g.m},
                    {"n", g.n},
                    {"k", g.k},
                    {"seconds", g.seconds},
                    {"flops_per_second", g.flops_per_second}});
  }
  nlohmann::json attention = nlohmann::json::array();
  for (const auto& a : p.attention) {
    attention.push_back({{"batch", a.batch},
                         {"heads", a.heads},
                         {"seq", a.seq},
                         {"head_dim", a.head_dim},
                         {"causal", a.causal},
                         {"backward", a.backward},
                         {"seconds", a.seconds}});
  }
  return {{"device_name", p.device_name},
          {"hardware_id", p.hardware_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.hardware_id)},
          {"date", p.date},
          {"tool", p.tool},
          {"compute_units", p.compute_units},
          {"bytes_l2", or_null(p.bytes_l2)},
          {"bytes_per_second_copy", or_null(p.bytes_per_second_copy)},
          {"bytes_per_second_triad", or_null(p.bytes_per_second_triad)},
          {"bytes_per_second_read", or_null(p.bytes_per_second_read)},
          {"bytes_per_second_write", or_null(p.bytes_per_second_write)},
          {"seconds_launch_overhead", or_null(p.seconds_launch_overhead)},
          {"seconds_host_eager", or_null(p.seconds_host_eager)},
          {"gemm", gemm},
          {"attention", attention}};
}

nlohmann::json device_json(const Measured& m) {
  nlohmann::json figures = nlohmann::json::array();
  for (const auto& f : probe::probe_figures(m.profile, m.hw)) {
    figures.push_back({{"name", f.name},
                       {"label", f.label},
                       {"unit", f.unit},
                       {"measured", f.measured},
                       {"peak", or_null(f.peak)},
                       {"fraction_of_peak", f.peak > 0 ? nlohmann::json(f.fraction()) : nlohmann::json(nullptr)}});
  }
  return {{"kind", m.kind},
          {"hardware_id", m.hw ? nlohmann::json(m.hw->id) : nlohmann::json(nullptr)},
          {"figures", figures},
          {"notes", m.notes},
          {"profile", profile_json(m.profile)}};
}

void print_device(const Measured& m) {
  const CalibrationProfile& p = m.profile;
  std::string catalog = m.hw ? fmt::format("catalog '{}' ({})", m.hw->id, m.hw->name)
                             : std::string("not in the catalog: peaks unknown (compare with --hardware ID)");
  std::cout << style(fmt::format("{}: {}", m.kind == "gpu" ? "GPU" : "CPU", p.device_name), "1") << "  "
            << catalog << "\n";
  for (const auto& n : m.notes) std::cout << "  " << style(n, "2") << "\n";

  std::vector<std::vector<std::string>> rows;
  for (const auto& f : probe::probe_figures(p, m.hw)) {
    rows.push_back({f.label, format_value(f.measured, f.unit), f.peak > 0 ? format_value(f.peak, f.unit) : "-",
                    f.peak > 0 ? format_percent(f.fraction()) : "-"});
  }
  std::vector<std::string> header = {"figure", "measured", "catalog peak", "of peak"};
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& r) {
    return fmt::format("  {:<{}}  {:>{}}  {:>{}}  {:>{}}", r[0], width[0], r[1], width[1], r[2], width[2], r[3],
                       width[3]);
  };
  std::cout << style(line(header), "1") << "\n";
  for (const auto& r : rows) std::cout << line(r) << "\n";

  if (!p.gemm.empty()) {
    std::cout << "  GEMM samples (M x N x K):\n";
    for (const auto& g : p.gemm) {
      double peak = m.hw ? m.hw->peak(g.dtype) : 0;
      std::cout << fmt::format("    {:<5} {:>6} x {:>6} x {:>6}  {:>10}  {:>14}  {:>6}\n", dtype_name(g.dtype), g.m,
                               g.n, g.k, format_seconds(g.seconds), format_si(g.flops_per_second, "FLOP/s"),
                               peak > 0 ? format_percent(g.flops_per_second / peak) : "-");
    }
  }
}

// The catalog entry a measured device is compared with: --hardware when given (for the
// device whose profile is written), else the entry its name matches, else none.
const Hardware* match_catalog(const std::string& device_name, const std::string& forced) {
  const HardwareCatalog& catalog = HardwareCatalog::builtin();
  std::string id = forced.empty() ? probe::guess_hardware_id(device_name, catalog) : forced;
  if (id.empty()) return nullptr;
  auto hw = catalog.find(id);
  return hw ? *hw : nullptr;
}

// Attention and the eager host cost through the user's PyTorch (probe/torch_probe.h): added
// to the GPU's profile when PyTorch runs there, else one note saying why not.
void add_torch_figures(const ProbeArgs& a, const std::function<void(const std::string&)>& progress, Measured& m) {
  if (a.python.empty() || a.python == "none") {
    m.notes.push_back("attention and host cost: not measured (--python none)");
    return;
  }
  if (progress) progress(fmt::format("attention and eager host cost through {} (PyTorch)", a.python));
  probe::TorchProbeOptions o;
  o.python = a.python;
  o.quick = a.quick;
  o.seconds_limit = a.python_limit;
  auto t = probe::run_torch_probe(o);
  if (!t) {
    m.notes.push_back("attention and host cost: not measured (" + t.error().message + ")");
    return;
  }
  m.profile.attention = t->attention;
  m.profile.seconds_host_eager = t->seconds_host_eager;
  m.notes.push_back(fmt::format("attention ({} calls) and host cost ({} kernels per tiny decoder layer) through "
                                "PyTorch {} ({})",
                                t->attention.size(), t->kernels_per_layer, t->torch_version, a.python));
}

int run_probe(const ProbeArgs& a) {
  if (!a.hardware.empty()) {
    auto hw = HardwareCatalog::builtin().find(a.hardware);
    if (!hw) return report_error(bad_input("--hardware: " + hw.error().message));
  }
  ProgressLine progress("probe");
  std::function<void(const std::string&)> on_progress;
  if (progress.on()) on_progress = [&progress](const std::string& line) { progress.show(line); };
  std::vector<Measured> devices;
  std::optional<std::string> gpu_missing;

  if (!a.cpu_only) {
    probe::CudaProbeOptions o;
    o.quick = a.quick;
    o.progress = on_progress;
    auto r = probe::run_cuda_probe(o);
    progress.done();
    if (r) {
      Measured m{"gpu", r->profile, nullptr, r->notes};
      add_torch_figures(a, on_progress, m);
      progress.done();
      devices.push_back(std::move(m));
    } else if (r.error().kind == ErrorKind::kNotFound) {
      gpu_missing = r.error().message;
    } else {
      return report_error(r.error());
    }
  }

  probe::CpuProbeOptions o = a.quick ? probe::CpuProbeOptions::quick() : probe::CpuProbeOptions{};
  o.progress = on_progress;
  auto cpu = probe::run_cpu_probe(o);
  progress.done();
  if (!cpu) return report_error(cpu.error());
  Measured c{"cpu", cpu->profile, nullptr, {}};
  c.notes.push_back(fmt::format("{} threads; last-level cache {}{}; bandwidth buffers {} each", cpu->threads,
                                format_bytes(cpu->cpu.bytes_llc),
                                cpu->cpu.llc_from_sysfs ? "" : " (assumed: sysfs does not say)",
                                format_bytes(cpu->bytes_buffer)));
  c.notes.insert(c.notes.end(), cpu->notes.begin(), cpu->notes.end());
  devices.push_back(std::move(c));

  // --hardware names the device whose profile is written: the GPU when one was measured.
  for (size_t i = 0; i < devices.size(); ++i) {
    Measured& m = devices[i];
    m.hw = match_catalog(m.profile.device_name, i == 0 ? a.hardware : "");
    m.profile.hardware_id = m.hw ? m.hw->id : "";
  }

  std::optional<std::string> written;
  if (!a.out.empty()) {
    Status s = write_file_atomic(a.out, to_toml(devices.front().profile));
    if (!s) return report_error(s.error());
    written = a.out;
  }

  if (a.json) {
    nlohmann::json j = {{"devices", nlohmann::json::array()},
                        {"gpu_status", gpu_missing ? nlohmann::json(*gpu_missing) : nlohmann::json("measured")},
                        {"profile_written", written ? nlohmann::json(*written) : nlohmann::json(nullptr)},
                        {"profile_device", devices.front().kind}};
    if (a.cpu_only) j["gpu_status"] = "skipped (--cpu-only)";
    for (const auto& m : devices) j["devices"].push_back(device_json(m));
    print_json(j);
    return 0;
  }
  if (gpu_missing) std::cout << style("GPU: " + *gpu_missing, "2") << "\n\n";
  for (size_t i = 0; i < devices.size(); ++i) {
    if (i > 0) std::cout << "\n";
    print_device(devices[i]);
  }
  std::cout << "\nMedians of repeated runs after warm-up; method in docs/calibration.md.\n";
  if (written) {
    std::cout << fmt::format("Wrote the {} profile to {} (use it with: flopscope predict ... --profile {})\n",
                             devices.front().kind, *written, *written);
  }
  return 0;
}

std::function<int()> setup_probe(CLI::App& sub) {
  auto args = std::make_shared<ProbeArgs>();
  sub.add_flag("--json", args->json, "Print JSON (SI units) instead of tables");
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
      ->check(CLI::Range(1.0, 86400.0))
      ->option_text("SECONDS");
  set_examples(sub, {"flopscope probe", "flopscope probe --quick --cpu-only",
                     "flopscope probe --out my-h100.profile.toml --hardware h100-sxm",
                     "flopscope probe --json > probe.json",
                     "flopscope probe --python ~/venv/bin/python --out my-h200.profile.toml"});
  return [args] { return run_probe(*args); };
}

FLOPSCOPE_COMMAND({"probe", "Measure this machine (GEMM, attention, bandwidth, launch and host cost) into a profile",
                   setup_probe, 60});

}  // namespace
}  // namespace flopscope::cli
