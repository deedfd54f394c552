// autoscale: replicas, GPU-hours, cost and late or dropped requests of autoscaling policies
// over a load curve, from one replica's capacity within latency targets and its cold start
// (api/autoscale.h; plan/autoscale.h; docs/serving.md, "Autoscaling").
#include <fmt/format.h>

#include <iostream>

#include "command.h"
#include "flopscope/api/autoscale.h"
#include "progress_line.h"
#include "serving_flags.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::AutoscaleOptions>();
  auto json = std::make_shared<bool>(false);
  add_serving_flags(sub, o->serving, *json);
  sub.add_option("--load", o->load, "CSV time_s,rps: requests per second over time")->required();
  sub.add_option("--policy", o->policy,
                 "static-peak, target-utilization, queue-depth, schedule, a comma list, or all")
      ->capture_default_str();
  sub.add_option("--slo-ttft-p95", o->slo_ttft_p95, "Target p95 time to first token, seconds")->required();
  sub.add_option("--slo-itl-p95", o->slo_itl_p95, "Target p95 inter-token latency, seconds")->required();
  sub.add_option("--requests", o->requests, "Requests per simulation in the capacity search")->capture_default_str();
  sub.add_option("--step", o->step, "Time step of the simulation, seconds")->capture_default_str();
  sub.add_option("--cooldown", o->cooldown, "Scale-down waits this long below the count, seconds")
      ->capture_default_str();
  sub.add_option("--target-utilization", o->target_utilization, "target-utilization: share of capacity to run at")
      ->capture_default_str();
  sub.add_option("--queue-target", o->queue_target,
                 "queue-depth: requests in the system per replica (default: what one holds at capacity)");
  sub.add_option("--max-queue", o->max_queue, "Requests waiting before new ones are dropped (default: 60 s of peak)");
  sub.add_option("--min-replicas", o->min_replicas, "Fewest replicas a policy runs")->capture_default_str();
  sub.add_option("--max-replicas", o->max_replicas, "Most replicas a policy runs")->capture_default_str();
  sub.add_option("--schedule", o->schedule,
                 "schedule: TIME_S:REPLICAS,... (default: each hour's peak of the load, one cold start ahead)");
  sub.add_option("--weights-from", o->weights_from, "Where a new replica reads its weights: disk or network")
      ->capture_default_str();
  sub.add_option("--image-bytes", o->image_bytes, "Container image size, bytes (default: data/serving/cold_start.toml)");
  sub.add_option("--pull-bytes-per-second", o->pull_bytes_per_second, "Image pull bandwidth, bytes/s");
  sub.add_option("--load-bytes-per-second", o->load_bytes_per_second, "Weight load bandwidth, bytes/s");
  sub.add_option("--engine-init", o->engine_init, "Engine start-up after the weights, seconds");
  sub.add_option("--svg", o->svg, "Write a timeline of load, replicas and queueing wait");
  set_examples(sub, {"flopscope autoscale llama-3.1-8b --hardware h100-sxm --load day.csv --prompt 1024 --output 256 "
                     "--slo-ttft-p95 0.5 --slo-itl-p95 0.03",
                     "flopscope autoscale llama-3.1-8b --hardware h100-sxm --load day.csv --prompt 1024 --output 256 "
                     "--slo-ttft-p95 0.5 --slo-itl-p95 0.03 --policy target-utilization,queue-depth --cooldown 600 "
                     "--svg day.svg --json",
                     "flopscope autoscale llama-3.1-70b --hardware h100-sxm --tp 4 --load day.csv --prompt 2048 --output 256 "
                     "--slo-ttft-p95 2 --slo-itl-p95 0.08 --policy schedule --schedule 0:2,28800:6,72000:2"});
  return [o, json] {
    ProgressLine progress("autoscale");
    api::AutoscaleOptions options = *o;
    if (progress.on()) options.progress = [&progress](const std::string& line) { progress.show(line); };
    api::Render r = render_for(*json);
    auto out = api::autoscale(options, r);
    progress.done();
    if (out && !o->svg.empty()) std::cerr << fmt::format("flopscope: wrote the timeline to {}\n", o->svg);
    return print_output(out, r);
  };
}

FLOPSCOPE_COMMAND({"autoscale", "Autoscaling policies over a load curve: GPU-hours, cost, late and dropped requests", setup, 47});

}  // namespace
}  // namespace flopscope::cli
