// capacity: the highest rate one replica sustains within p95 latency targets, the replicas a
// traffic needs, the cost per million output tokens, and (--compare) scale up against
// scale out (api/capacity.h; plan/serving_capacity.h; docs/serving.md).
#include "command.h"
#include "flopscope/api/capacity.h"
#include "progress_line.h"
#include "serving_flags.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::CapacityOptions>();
  auto json = std::make_shared<bool>(false);
  add_serving_flags(sub, o->serving, *json);
  sub.add_option("--slo-ttft-p95", o->slo_ttft_p95, "Target p95 time to first token, seconds")->required();
  sub.add_option("--slo-itl-p95", o->slo_itl_p95, "Target p95 inter-token latency, seconds")->required();
  sub.add_option("--rate", o->rate, "Traffic to serve, requests per second (gives the replicas)");
  sub.add_flag("--compare", o->compare, "Scale up (tp 2/4/8, a bigger GPU) against scale out (replicas)");
  sub.add_option("--requests", o->requests, "Requests per simulation in the search")->capture_default_str();
  sub.add_option("--pue", o->pue, "Data-centre PUE, >= 1 (default: data/hardware/power.toml, Uptime Institute 2023 average)");
  set_examples(sub, {"flopscope capacity llama-3.1-8b --hardware h100 --prompt 1024 --output 256 --slo-ttft-p95 0.5 "
                     "--slo-itl-p95 0.05 --rate 20",
                     "flopscope capacity llama-3.1-70b --hardware h100 --tp 4 --prompt 2048 --output 256 "
                     "--slo-ttft-p95 2 --slo-itl-p95 0.08 --rate 10 --compare --json"});
  return [o, json] {
    ProgressLine progress("capacity");
    api::CapacityOptions options = *o;
    if (progress.on()) options.progress = [&progress](const std::string& line) { progress.show(line); };
    api::Render r = render_for(*json);
    auto out = api::capacity(options, r);
    progress.done();
    return print_output(out, r);
  };
}

FLOPSCOPE_COMMAND({"capacity", "Highest request rate within latency targets; replicas and cost", setup, 46});

}  // namespace
}  // namespace flopscope::cli
