// simulate: a continuous-batching serving engine under a load, simulated event by event
// (plan/serving.h; docs/serving.md).
#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "flopscope/report/table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"
#include "command.h"
#include "progress_line.h"
#include "serving_flags.h"

namespace flopscope::cli {
namespace {

struct SimulateOptions {
  ServingFlags flags;
  std::string rate;  // QPS or "inf"
  int64_t concurrency = 0;
  std::string trace;
  int64_t requests = 0;
  double duration = 0;
  uint64_t seed = 1;
  int64_t replicas = 1;
  double pue = 0;
};

int run(const SimulateOptions& o) {
  const int given = (o.rate.empty() ? 0 : 1) + (o.concurrency != 0 ? 1 : 0) + (o.trace.empty() ? 0 : 1);
  if (given != 1) return report_error(bad_input("simulate: expected one of --rate, --concurrency or --trace"));
  ServingLoad load;
  if (!o.rate.empty()) {
    if (o.rate == "inf") {
      load.kind = LoadKind::kAllAtOnce;
    } else {
      char* end = nullptr;
      const double r = std::strtod(o.rate.c_str(), &end);
      if (end != o.rate.c_str() + o.rate.size() || !(r > 0) || !std::isfinite(r) || r > 1e9) {
        return report_error(bad_input(fmt::format("--rate: expected requests per second above 0 or 'inf', got '{}'", o.rate)));
      }
      load.kind = LoadKind::kPoisson;
      load.rate = r;
    }
  } else if (o.concurrency != 0) {
    if (o.concurrency < 0) {
      return report_error(bad_input(fmt::format("--concurrency: expected a positive integer, got {}", o.concurrency)));
    }
    load.kind = LoadKind::kClosedLoop;
    load.concurrency = o.concurrency;
  } else {
    load.kind = LoadKind::kTrace;
    auto text = read_file(o.trace, size_t{256} << 20);
    if (!text) return report_error(text.error());
    auto trace = parse_serving_trace(*text, o.trace);
    if (!trace) return report_error(trace.error());
    load.trace = std::move(*trace);
  }
  if (o.requests < 0) return report_error(bad_input(fmt::format("--requests: expected a positive integer, got {}", o.requests)));
  if (o.duration < 0 || !std::isfinite(o.duration)) {
    return report_error(bad_input(fmt::format("--duration: expected seconds above 0, got {}", o.duration)));
  }
  load.requests = o.requests;
  load.seconds_duration = o.duration;
  if (load.kind != LoadKind::kTrace && o.requests == 0 && o.duration == 0) load.requests = 1000;
  load.seed = o.seed;
  auto s = resolve_serving(o.flags);
  if (!s) return report_error(s.error());
  if (load.kind == LoadKind::kTrace) {
    // Lengths come from the trace; the flags' own parse still checked them.
  }
  load.prompt = s->options.load.prompt;
  load.output = s->options.load.output;
  s->options.load = std::move(load);
  s->options.replicas = o.replicas;
  s->options.pue = o.pue;
  ProgressLine progress("simulate");
  progress.show("running the engine");
  auto r = simulate_serving(s->spec, s->options, *s->setup.hardware, *s->prefill_engine, *s->decode_engine);
  progress.done();
  if (!r) return report_error(r.error());
  const ServingOptions& so = s->options;
  const char* load_name = so.load.kind == LoadKind::kPoisson      ? "poisson"
                          : so.load.kind == LoadKind::kAllAtOnce  ? "all-at-once"
                          : so.load.kind == LoadKind::kClosedLoop ? "closed-loop"
                                                                  : "trace";
  if (o.flags.common.json) {
    nlohmann::json j = {
        {"model", s->spec.name},
        {"hardware", s->setup.hardware->id},
        {"dtype", std::string(dtype_name(so.workload.dtype))},
        {"weights", std::string(dtype_name(so.workload.weight_dtype))},
        {"kv_dtype", std::string(dtype_name(so.workload.kv_dtype))},
        {"tp", so.workload.parallel.tp},
        {"replicas", so.replicas},
        {"load", load_name},
        {"seed", so.load.seed},
        {"engine",
         {{"block_size", so.engine.block_size},
          {"max_running", so.engine.max_running},
          {"max_batched_tokens", so.engine.max_batched_tokens},
          {"memory_fraction", so.engine.memory_fraction},
          {"chunked_prefill", so.engine.chunked_prefill},
          {"kv_blocks", r->kv_blocks},
          {"bytes_kv_per_token", r->bytes_kv_per_token}}},
        {"requests", r->requests},
        {"ttft_seconds", latency_json(r->ttft_seconds)},
        {"itl_seconds", latency_json(r->itl_seconds)},
        {"e2e_seconds", latency_json(r->e2e_seconds)},
        {"output_tokens_per_second", r->output_tokens_per_second},
        {"requests_per_second", r->requests_per_second},
        {"kv_cache_utilization", r->kv_cache_utilization},
        {"preemptions", r->preemptions},
        {"iterations", r->iterations},
        {"mean_running", r->mean_running},
        {"seconds_simulated", r->seconds_simulated},
        {"seconds_prefill_one_prompt", r->seconds_prefill_one_prompt},
        {"seconds_decode_batch1", r->seconds_decode_batch1},
        {"littles_law", {{"mean_in_system", r->littles_law_in_system},
                         {"throughput_x_mean_e2e", r->littles_law_throughput_x_e2e}}},
        {"itl_definition", "per request: (e2e - ttft) / (output - 1)"}};
    nlohmann::json energy = energy_json(r->energy, r->output_tokens);
    energy["joules_per_request"] = r->energy.known() ? nlohmann::json(*r->energy.joules / static_cast<double>(r->requests))
                                                     : nlohmann::json(nullptr);
    energy["seconds_busy_per_replica"] = r->seconds_busy_per_replica;
    energy["power"] = power_json(PowerCatalog::builtin().model_of(*s->setup.hardware),
                                 Pue{r->energy.pue, r->energy.pue_source});
    j["energy"] = energy;
    if (so.load.kind == LoadKind::kPoisson) j["rate"] = so.load.rate;
    if (so.load.kind == LoadKind::kClosedLoop) j["concurrency"] = so.load.concurrency;
    print_json(j);
    return 0;
  }
  std::cout << style(s->spec.name, "1") << " on " << (so.workload.parallel.tp > 1 ? fmt::format("{} x ", so.workload.parallel.tp) : "")
            << s->setup.hardware->name << (so.replicas > 1 ? fmt::format(", {} replicas", so.replicas) : "") << " ("
            << load_name << ", " << r->requests << " requests)\n\n";
  Table t({"latency", "p50", "p90", "p99", "mean"}, {false, true, true, true, true});
  auto row = [&](const char* name, const LatencySummary& l) {
    t.add({name, format_seconds(l.p50), format_seconds(l.p90), format_seconds(l.p99), format_seconds(l.mean)});
  };
  row("time to first token", r->ttft_seconds);
  row("inter-token latency", r->itl_seconds);
  row("end to end", r->e2e_seconds);
  std::cout << t.render(2) << "\n";
  std::vector<std::pair<std::string, std::string>> f;
  f.push_back({"output tokens/s", format_si(r->output_tokens_per_second)});
  f.push_back({"requests/s", format_si(r->requests_per_second)});
  f.push_back({"KV cache used", format_percent(r->kv_cache_utilization) + fmt::format(" of {} blocks", r->kv_blocks)});
  f.push_back({"mean running", fmt::format("{:.1f} sequences", r->mean_running)});
  f.push_back({"preemptions", std::to_string(r->preemptions)});
  f.push_back({"Little's law", fmt::format("{:.2f} in system vs throughput x e2e {:.2f}", r->littles_law_in_system,
                                           r->littles_law_throughput_x_e2e)});
  if (r->energy.known()) {
    f.push_back({"energy", fmt::format("{:.3g} J per request, {:.3g} kWh per million output tokens (busy {}, {:.0f} W "
                                       "per device, PUE {:g})",
                                       *r->energy.joules / static_cast<double>(r->requests),
                                       *r->energy.kwh_per_million(r->output_tokens), format_percent(r->energy.utilization),
                                       r->energy.watts, r->energy.pue)});
  } else {
    f.push_back({"energy", "not known (no board power for this hardware in the catalog)"});
  }
  std::cout << render_fields(f, 2);
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<SimulateOptions>();
  add_serving_flags(sub, o->flags);
  sub.add_option("--rate", o->rate, "Poisson arrivals per second over all replicas, or 'inf' (all at t = 0)");
  sub.add_option("--concurrency", o->concurrency, "Closed loop: clients each sending the next request when one ends");
  sub.add_option("--trace", o->trace, "CSV (arrival_s,prompt,output) or JSONL with the same keys");
  sub.add_option("--requests", o->requests, "Requests to send (default 1000 without --duration)");
  sub.add_option("--duration", o->duration, "Seconds of arrivals (open loop) or of sending (closed loop)");
  sub.add_option("--seed", o->seed, "Random seed (runs are deterministic for a seed)")->capture_default_str();
  sub.add_option("--replicas", o->replicas, "Identical replicas, requests dealt round-robin")->capture_default_str();
  sub.add_option("--pue", o->pue, "Data-centre PUE, >= 1 (default: data/hardware/power.toml, Uptime Institute 2023 average)");
  set_examples(sub, {"flopscope simulate llama-3.1-8b --hardware h100 --rate 10 --prompt 1024 --output 256",
                     "flopscope simulate llama-3.1-70b --hardware h100 --tp 4 --concurrency 64 --prompt 2048 --output 128 --json",
                     "flopscope simulate llama-3.1-8b --hardware h100 --rate inf --requests 1000 --prompt uniform:128:2048 --output exp:256",
                     "flopscope simulate llama-3.1-8b --hardware a100 --trace requests.csv --json"});
  return [o] { return run(*o); };
}

FLOPSCOPE_COMMAND({"simulate", "Simulate a continuous-batching serving engine under load", setup, 45});

}  // namespace
}  // namespace flopscope::cli
