#include "predict_common.h"

#include <iostream>

namespace flopscope::cli {

void add_common(CLI::App& sub, Common& c, const char* software_default) {
  sub.add_option("--hardware", c.hardware, "Hardware id or alias from the catalog (see flopscope hardware)")
      ->required();
  sub.add_option("--dtype", c.dtype, "Compute dtype: bf16, fp16, fp8, tf32, fp32")->capture_default_str();
  sub.add_option("--profile", c.profile, "Calibration profile (flopscope probe) replacing catalog efficiencies");
  sub.add_option("--software", c.software,
                 std::string("How kernels are issued: eager, graphs or compiled (default ") + software_default + ")");
  sub.add_flag("--json", c.json, "Print JSON (SI units)");
}

api::EngineOptions hardware_options(const Common& c) {
  api::EngineOptions o;
  o.hardware = c.hardware;
  o.dtype = c.dtype;
  o.profile = c.profile;
  o.software = c.software;
  o.warn = [](const std::string& w) { std::cerr << "flopscope: warning: " << w << "\n"; };
  return o;
}

}  // namespace flopscope::cli
