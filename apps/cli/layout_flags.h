// The many-device flags (--gpus, --tp, --sp, --pp, --virtual-stages, --ep, --cp, --zero,
// --global-batch, --system) that `predict train` and `plan train` share; the library
// (api/setup.h, api/predict.h) turns them into a layout and a system.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>


namespace flopscope::cli {

struct LayoutFlags {
  int64_t gpus = 0;  ///< 0: not given (one device, the single-device path)
  int64_t tp = 1, pp = 1, ep = 1, cp = 1, virtual_stages = 1;
  bool sp = false;
  int zero = 1;
  int64_t global_batch = 0;
  std::string system;
  /// Whether any many-device flag was given (then `predict train` takes the parallel path).
  bool given(const CLI::App& sub) const;
};

/// Adds the flags; `with_layout` false adds only --gpus, --global-batch, --system (plan train).
void add_layout_flags(CLI::App& sub, LayoutFlags& f, bool with_layout = true);

}  // namespace flopscope::cli
