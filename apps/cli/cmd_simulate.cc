// simulate: a continuous-batching serving engine under a load, simulated event by event
// (plan/serving.h; docs/serving.md).
#include "command.h"
#include "flopscope/api/simulate.h"
#include "progress_line.h"
#include "serving_flags.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::SimulateOptions>();
  auto json = std::make_shared<bool>(false);
  add_serving_flags(sub, o->serving, *json);
  sub.add_option("--rate", o->rate, "Poisson arrivals per second over all replicas, or 'inf' (all at t = 0)");
  sub.add_option("--concurrency", o->concurrency, "Closed loop: clients each sending the next request when one ends");
  sub.add_option("--trace", o->trace, "CSV (arrival_s,prompt,output) or JSONL with the same keys");
  sub.add_option("--requests", o->requests, "Requests to send (default 1000 without --duration)");
  sub.add_option("--duration", o->duration, "Seconds of arrivals (open loop) or of sending (closed loop)");
  sub.add_option("--warmup", o->warmup,
                 "First requests to run but leave out of latencies and throughput (steady state)")
      ->capture_default_str();
  sub.add_option("--seed", o->seed, "Random seed (runs are deterministic for a seed)")->capture_default_str();
  sub.add_option("--replicas", o->replicas, "Identical replicas, requests dealt round-robin")->capture_default_str();
  sub.add_option("--pue", o->pue, "Data-centre PUE, >= 1 (default: data/hardware/power.toml, Uptime Institute 2023 average)");
  set_examples(sub, {"flopscope simulate llama-3.1-8b --hardware h100 --rate 10 --prompt 1024 --output 256",
                     "flopscope simulate llama-3.1-70b --hardware h100 --tp 4 --concurrency 64 --prompt 2048 --output 128 --json",
                     "flopscope simulate llama-3.1-8b --hardware h100 --rate inf --requests 1000 --prompt uniform:128:2048 --output exp:256",
                     "flopscope simulate llama-3.1-8b --hardware a100 --trace requests.csv --json"});
  return [o, json] {
    ProgressLine progress("simulate");
    api::SimulateOptions options = *o;
    if (progress.on()) options.progress = [&progress](const std::string& line) { progress.show(line); };
    api::Render r = render_for(*json);
    auto out = api::simulate(options, r);
    progress.done();
    return print_output(out, r);
  };
}

FLOPSCOPE_COMMAND({"simulate", "Simulate a continuous-batching serving engine under load", setup, 45});

}  // namespace
}  // namespace flopscope::cli
