#include "flopscope/api/probe.h"

#include <fmt/format.h>

#include "flopscope/api/options.h"
#include "flopscope/probe/cpu_probe.h"
#include "flopscope/probe/cuda_probe.h"
#include "flopscope/probe/figures.h"
#include "flopscope/probe/torch_probe.h"
#include "flopscope/report/table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

std::string format_value(double v, const std::string& unit) {
  if (unit == "s") return format_seconds(v);
  return format_si(v, unit);
}

Json or_null(double v) { return v > 0 ? Json(v) : Json(nullptr); }

Json profile_json(const CalibrationProfile& p) {
  Json gemm = Json::array();
  for (const auto& g : p.gemm) {
    gemm.push_back({{"dtype", dtype_name(g.dtype)},
                    {"m", g.m},
                    {"n", g.n},
                    {"k", g.k},
                    {"seconds", g.seconds},
                    {"flops_per_second", g.flops_per_second}});
  }
  Json attention = Json::array();
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
          {"hardware_id", p.hardware_id.empty() ? Json(nullptr) : Json(p.hardware_id)},
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

Json device_json(const ProbeDevice& m) {
  Json figures = Json::array();
  for (const auto& f : probe::probe_figures(m.profile, m.hw)) {
    figures.push_back({{"name", f.name},
                       {"label", f.label},
                       {"unit", f.unit},
                       {"measured", f.measured},
                       {"peak", or_null(f.peak)},
                       {"fraction_of_peak", f.peak > 0 ? Json(f.fraction()) : Json(nullptr)}});
  }
  return {{"kind", m.kind},
          {"hardware_id", m.hw ? Json(m.hw->id) : Json(nullptr)},
          {"figures", figures},
          {"notes", m.notes},
          {"profile", profile_json(m.profile)}};
}

std::string device_text(const ProbeDevice& m, const Render& r) {
  const CalibrationProfile& p = m.profile;
  std::string catalog = m.hw ? fmt::format("catalog '{}' ({})", m.hw->id, m.hw->name)
                             : std::string("not in the catalog: peaks unknown (compare with --hardware ID)");
  std::string out = style(r, fmt::format("{}: {}", m.kind == "gpu" ? "GPU" : "CPU", p.device_name), "1") + "  " +
                    catalog + "\n";
  for (const auto& n : m.notes) out += "  " + style(r, n, "2") + "\n";
  Table figures({"figure", "measured", "catalog peak", "of peak"}, {false, true, true, true});
  for (const auto& f : probe::probe_figures(p, m.hw)) {
    figures.add({f.label, format_value(f.measured, f.unit), f.peak > 0 ? format_value(f.peak, f.unit) : "-",
                 f.peak > 0 ? format_percent(f.fraction()) : "-"});
  }
  out += figures.render(2);
  if (!p.gemm.empty()) {
    out += "  GEMM samples (M x N x K):\n";
    Table gemm({"dtype", "M", "", "N", "", "K", "time", "FLOP/s", "of peak"},
               {false, true, false, true, false, true, true, true, true});
    for (const auto& g : p.gemm) {
      double peak = m.hw ? m.hw->peak(g.dtype) : 0;
      gemm.add({std::string(dtype_name(g.dtype)), std::to_string(g.m), "x", std::to_string(g.n), "x",
                std::to_string(g.k), format_seconds(g.seconds), format_si(g.flops_per_second, "FLOP/s"),
                peak > 0 ? format_percent(g.flops_per_second / peak) : "-"});
    }
    out += gemm.render_body(4);
  }
  return out;
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
void add_torch_figures(const ProbeOptions& a, ProbeDevice& m) {
  if (a.python.empty() || a.python == "none") {
    m.notes.push_back("attention and host cost: not measured (--python none)");
    return;
  }
  if (a.progress) a.progress(fmt::format("attention and eager host cost through {} (PyTorch)", a.python));
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

}  // namespace

Output render_probe(const ProbeRun& run, const Render& render) {
  Output out;
  if (render.json) {
    Json j = {{"devices", Json::array()},
              {"gpu_status", run.gpu_missing ? Json(*run.gpu_missing) : Json("measured")},
              {"profile_written", run.profile_written ? Json(*run.profile_written) : Json(nullptr)},
              {"profile_device", run.devices.empty() ? Json(nullptr) : Json(run.devices.front().kind)}};
    if (run.cpu_only) j["gpu_status"] = "skipped (--cpu-only)";
    for (const auto& m : run.devices) j["devices"].push_back(device_json(m));
    out.json = std::move(j);
    return out;
  }
  std::string& t = out.text;
  if (run.gpu_missing) t += style(render, "GPU: " + *run.gpu_missing, "2") + "\n\n";
  for (size_t i = 0; i < run.devices.size(); ++i) {
    if (i > 0) t += "\n";
    t += device_text(run.devices[i], render);
  }
  t += "\nMedians of repeated runs after warm-up; method in docs/calibration.md.\n";
  if (run.profile_written && !run.devices.empty()) {
    t += fmt::format("Wrote the {} profile to {} (use it with: flopscope predict ... --profile {})\n",
                     run.devices.front().kind, *run.profile_written, *run.profile_written);
  }
  return out;
}

Result<Output> probe(const ProbeOptions& a, const Render& render) {
  if (!(a.python_limit >= 1 && a.python_limit <= 86400)) {
    return bad_input(fmt::format("--python-limit: expected seconds from 1 to 86400, got {:g}", a.python_limit));
  }
  if (const Status& st = HardwareCatalog::builtin_status(); !st) return st.error();
  if (!a.hardware.empty()) {
    auto hw = HardwareCatalog::builtin().find(a.hardware);
    if (!hw) return bad_input("--hardware: " + hw.error().message);
  }
  ProbeRun run;
  run.cpu_only = a.cpu_only;
  if (!a.cpu_only) {
    probe::CudaProbeOptions o;
    o.quick = a.quick;
    o.progress = a.progress;
    auto r = probe::run_cuda_probe(o);
    if (r) {
      ProbeDevice m{"gpu", r->profile, nullptr, r->notes};
      add_torch_figures(a, m);
      run.devices.push_back(std::move(m));
    } else if (r.error().kind == ErrorKind::kNotFound) {
      run.gpu_missing = r.error().message;
    } else {
      return r.error();
    }
  }
  probe::CpuProbeOptions o = a.quick ? probe::CpuProbeOptions::quick() : probe::CpuProbeOptions{};
  o.progress = a.progress;
  auto cpu = probe::run_cpu_probe(o);
  if (!cpu) return cpu.error();
  ProbeDevice c{"cpu", cpu->profile, nullptr, {}};
  c.notes.push_back(fmt::format("{} threads; last-level cache {}{}; bandwidth buffers {} each", cpu->threads,
                                format_bytes(cpu->cpu.bytes_llc),
                                cpu->cpu.llc_from_sysfs ? "" : " (assumed: sysfs does not say)",
                                format_bytes(cpu->bytes_buffer)));
  c.notes.insert(c.notes.end(), cpu->notes.begin(), cpu->notes.end());
  run.devices.push_back(std::move(c));
  // --hardware names the device whose profile is written: the GPU when one was measured.
  for (size_t i = 0; i < run.devices.size(); ++i) {
    ProbeDevice& m = run.devices[i];
    m.hw = match_catalog(m.profile.device_name, i == 0 ? a.hardware : "");
    m.profile.hardware_id = m.hw ? m.hw->id : "";
  }
  if (!a.out.empty()) {
    Status s = write_file_atomic(a.out, to_toml(run.devices.front().profile));
    if (!s) return s.error();
    run.profile_written = a.out;
  }
  return render_probe(run, render);
}

Result<ProbeOptions> probe_options(const Json& options) {
  ProbeOptions o;
  OptionsReader r(options, "probe");
  r.read("quick", o.quick)
      .read("cpu_only", o.cpu_only)
      .read("out", o.out)
      .read("hardware", o.hardware)
      .read("python", o.python)
      .read("python_limit", o.python_limit);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
