// `probe`: measures this machine (the GPU through CUDA when built with it and a device is
// present, the CPU always), compares each figure with the catalog peak, and writes the
// calibration profile `predict --profile FILE` uses (docs/calibration.md).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/hw/calibration.h"
#include "flopscope/hw/hardware.h"

namespace flopscope::api {

struct ProbeOptions {
  bool quick = false;         ///< fewer shapes and repetitions (about a second on the CPU)
  bool cpu_only = false;      ///< do not look for a GPU
  std::string out;            ///< write the calibration profile (TOML) here
  std::string hardware;       ///< catalog id to compare the profiled device with
  std::string python = "python3";  ///< Python with PyTorch for attention and host cost; "none": skip
  double python_limit = 600;  ///< seconds the PyTorch part may take
  /// Told what is being measured, for a person watching; may be empty.
  std::function<void(const std::string&)> progress;
};

/// One measured device: its profile, the catalog entry it was compared with, and notes.
struct ProbeDevice {
  std::string kind;  ///< "gpu" or "cpu"
  CalibrationProfile profile;
  const Hardware* hw = nullptr;
  std::vector<std::string> notes;
};

/// What a probe found: the devices (the profiled one first), why no GPU was measured.
struct ProbeRun {
  std::vector<ProbeDevice> devices;
  std::optional<std::string> gpu_missing;  ///< why no GPU was measured (none found)
  bool cpu_only = false;
  std::optional<std::string> profile_written;  ///< the file the profile went to
};

/// Measures the machine, writes the profile when asked; returns the probe document or its text.
Result<Output> probe(const ProbeOptions& options, const Render& render);

/// The document or text of a probe's findings (what probe() prints after measuring).
Output render_probe(const ProbeRun& run, const Render& render);

/// The JSON form: keys quick, cpu_only, out, hardware, python, python_limit.
Result<ProbeOptions> probe_options(const Json& options);

}  // namespace flopscope::api
