// `flopscope hardware [--json] [--prices] [ID]`: the hardware catalog as a table, one entry
// in detail (with its sources and prices), or JSON in SI units (docs/hardware-catalog.md).
#include "command.h"
#include "flopscope/api/hardware.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup_hardware(CLI::App& sub) {
  auto o = std::make_shared<api::HardwareOptions>();
  auto json = std::make_shared<bool>(false);
  sub.add_flag("--json", *json, "Print JSON in SI units (FLOP/s, bytes, bytes/s, watts)");
  sub.add_flag("--prices", o->prices, "Add the cheapest on-demand price per device-hour (or all prices in --json)");
  sub.add_flag("--systems", o->systems, "List the system catalog: nodes, their fabric and network (for --gpus)");
  sub.add_option("id", o->id, "A hardware id or alias (h100-sxm, a100, tpu-v5e, ...): show it in detail");
  set_examples(sub, {"flopscope hardware", "flopscope hardware --prices", "flopscope hardware h100-sxm",
                     "flopscope hardware mi300x --json", "flopscope hardware --systems",
                     "FLOPSCOPE_HARDWARE=my-gpus.toml flopscope hardware   # add or override entries"});
  return [o, json] {
    api::Render r = render_for(*json);
    return print_output(api::hardware(*o, r), r);
  };
}

FLOPSCOPE_COMMAND({"hardware", "List the hardware catalog: peaks, memory, bandwidth, prices", setup_hardware, 60});

}  // namespace
}  // namespace flopscope::cli
