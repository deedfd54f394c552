#include "flopscope/api/setup.h"

#include <fmt/format.h>

namespace flopscope::api {

Result<Setup> resolve_setup(const EngineOptions& c, Software software_default) {
  Setup s;
  if (const Status& st = HardwareCatalog::builtin_status(); !st) return st.error();
  auto hw = HardwareCatalog::builtin().find(c.hardware);
  if (!hw) return hw.error();
  s.hardware = *hw;
  auto dt = parse_dtype(c.dtype, "--dtype");
  if (!dt) return dt.error();
  s.dtype = *dt;
  s.software = software_default;
  if (!c.software.empty()) {
    auto sw = parse_software(c.software, "--software");
    if (!sw) return sw.error();
    s.software = *sw;
  }
  if (!c.profile.empty()) {
    auto p = load_calibration_profile(c.profile);
    if (!p) return p.error();
    if (!p->hardware_id.empty() && p->hardware_id != s.hardware->id && c.warn) {
      c.warn(fmt::format("profile {} calibrates '{}', not '{}'", c.profile, p->hardware_id, s.hardware->id));
    }
    s.profile = std::move(*p);
  }
  return s;
}

Result<System> resolve_system(const std::string& flag, const Hardware& hw, int64_t gpus) {
  System s;
  if (!flag.empty()) {
    auto found = SystemCatalog::builtin().find(flag);
    if (!found) return found.error();
    s = **found;
    if (s.hardware != hw.id) {
      return bad_input(fmt::format("--system: '{}' is built of '{}', not --hardware '{}'", s.id, s.hardware, hw.id));
    }
  } else if (const System* ref = SystemCatalog::builtin().for_hardware(hw.id)) {
    s = *ref;
  } else {
    s = standalone_system(hw);
  }
  if (gpus > s.gpus_per_node && !s.network().multi_node()) {
    return bad_input(fmt::format("--system: '{}' has no network to other nodes in the catalog; {} GPUs need more than "
                                 "its {} per node (give --system)",
                                 s.id, gpus, s.gpus_per_node));
  }
  return s;
}

void read_engine_options(OptionsReader& r, EngineOptions& o) {
  r.read("hardware", o.hardware).read("dtype", o.dtype).read("profile", o.profile).read("software", o.software);
}

}  // namespace flopscope::api
