// The PyTorch part of the GPU probe: fused attention forward and backward, and the host cost
// of one eager kernel launch, measured through the user's own PyTorch (data/probe/
// torch_probe.py, embedded in the binary; docs/calibration.md says why these two go
// through the framework). The script runs as a child process with a time limit; its one JSON
// line is checked field by field before anything reaches a profile.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/hw/calibration.h"
#include "flopscope/util/result.h"

namespace flopscope::probe {

struct TorchProbeResult {
  std::string torch_version;
  std::string device_name;
  std::vector<AttentionSample> attention;
  double seconds_host_eager = 0;  ///< host seconds per eager kernel (0 = not measured)
  int64_t kernels_per_layer = 0;  ///< kernels the profiler counted for one tiny decoder layer
};

/// Checks the script's output (one JSON object). {"error": "..."} is kNotFound with that
/// reason (no PyTorch, no CUDA device); anything malformed or out of range is kFailure naming
/// the field ("PyTorch probe: attention[2].seconds: expected ...").
Result<TorchProbeResult> parse_torch_probe_output(std::string_view text);

struct TorchProbeOptions {
  std::string python = "python3";  ///< program run (looked up on PATH when it has no '/')
  int device = 0;
  bool quick = false;
  double seconds_limit = 600;      ///< the child is killed after this long
};

/// Runs the embedded script with `options.python`. A python that cannot be started, or a
/// script that reports no PyTorch or no CUDA, gives kNotFound; a child killed at the time
/// limit, crashed, or printing something malformed gives kFailure. Leaves no file behind.
Result<TorchProbeResult> run_torch_probe(const TorchProbeOptions& options);

/// The same as run_torch_probe with `script` instead of the embedded one (tests).
Result<TorchProbeResult> run_torch_probe_script(const TorchProbeOptions& options, std::string_view script);

}  // namespace flopscope::probe
