#include "flopscope/api/simulate.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "flopscope/plan/energy.h"
#include "flopscope/report/table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

Result<ServingLoad> read_load(const SimulateOptions& o) {
  const int given = (o.rate.empty() ? 0 : 1) + (o.concurrency != 0 ? 1 : 0) + (o.trace.empty() ? 0 : 1);
  if (given != 1) return bad_input("simulate: expected one of --rate, --concurrency or --trace");
  ServingLoad load;
  if (!o.rate.empty()) {
    if (o.rate == "inf") {
      load.kind = LoadKind::kAllAtOnce;
    } else {
      char* end = nullptr;
      const double r = std::strtod(o.rate.c_str(), &end);
      if (end != o.rate.c_str() + o.rate.size() || !(r > 0) || !std::isfinite(r) || r > 1e9) {
        return bad_input(fmt::format("--rate: expected requests per second above 0 or 'inf', got '{}'", o.rate));
      }
      load.kind = LoadKind::kPoisson;
      load.rate = r;
    }
  } else if (o.concurrency != 0) {
    if (o.concurrency < 0) return bad_input(fmt::format("--concurrency: expected a positive integer, got {}", o.concurrency));
    load.kind = LoadKind::kClosedLoop;
    load.concurrency = o.concurrency;
  } else {
    load.kind = LoadKind::kTrace;
    auto text = read_file(o.trace, size_t{256} << 20);
    if (!text) return text.error();
    auto trace = parse_serving_trace(*text, o.trace);
    if (!trace) return trace.error();
    load.trace = std::move(*trace);
  }
  if (o.requests < 0) return bad_input(fmt::format("--requests: expected a positive integer, got {}", o.requests));
  if (o.duration < 0 || !std::isfinite(o.duration)) {
    return bad_input(fmt::format("--duration: expected seconds above 0, got {}", o.duration));
  }
  load.requests = o.requests;
  load.seconds_duration = o.duration;
  load.warmup = o.warmup;
  if (load.kind != LoadKind::kTrace && o.requests == 0 && o.duration == 0) load.requests = 1000;
  load.seed = o.seed;
  return load;
}

const char* load_name(LoadKind k) {
  return k == LoadKind::kPoisson      ? "poisson"
         : k == LoadKind::kAllAtOnce  ? "all-at-once"
         : k == LoadKind::kClosedLoop ? "closed-loop"
                                      : "trace";
}

Json document(const ServingSetup& s, const ServingResult& r) {
  const ServingOptions& so = s.options;
  Json j = {{"model", s.spec.name},
            {"hardware", s.hardware->id},
            {"dtype", std::string(dtype_name(so.workload.dtype))},
            {"weights", std::string(dtype_name(so.workload.weight_dtype))},
            {"kv_dtype", std::string(dtype_name(so.workload.kv_dtype))},
            {"decode_attention", decode_attention_name(so.workload.decode_attention)},
            {"tp", so.workload.parallel.tp},
            {"replicas", so.replicas},
            {"load", load_name(so.load.kind)},
            {"seed", so.load.seed},
            {"engine",
             {{"block_size", so.engine.block_size},
              {"max_running", so.engine.max_running},
              {"max_batched_tokens", so.engine.max_batched_tokens},
              {"memory_fraction", so.engine.memory_fraction},
              {"kv_free_fraction", so.engine.kv_free_fraction},
              {"prefill", prefill_policy_name(so.engine.prefill)},
              {"chunked_prefill", so.engine.prefill == PrefillPolicy::kChunked},
              {"reserve_output", so.engine.reserve_output},
              {"step_overhead_seconds", so.engine.seconds_step_overhead},
              {"token_overhead_seconds", so.engine.seconds_token_overhead},
              {"kv_blocks", r.kv_blocks},
              {"bytes_kv_per_token", r.bytes_kv_per_token}}},
            {"requests", r.requests},
            {"requests_warmup", r.requests_warmup},
            {"ttft_seconds", latency_json(r.ttft_seconds)},
            {"itl_seconds", latency_json(r.itl_seconds)},
            {"e2e_seconds", latency_json(r.e2e_seconds)},
            {"output_tokens_per_second", r.output_tokens_per_second},
            {"requests_per_second", r.requests_per_second},
            {"kv_cache_utilization", r.kv_cache_utilization},
            {"preemptions", r.preemptions},
            {"iterations", r.iterations},
            {"mean_running", r.mean_running},
            {"seconds_simulated", r.seconds_simulated},
            {"seconds_prefill_one_prompt", r.seconds_prefill_one_prompt},
            {"seconds_decode_batch1", r.seconds_decode_batch1},
            {"littles_law", {{"mean_in_system", r.littles_law_in_system},
                             {"throughput_x_mean_e2e", r.littles_law_throughput_x_e2e}}},
            {"itl_definition", "per request: (e2e - ttft) / (output - 1)"}};
  Json energy = energy_json(r.energy, r.output_tokens);
  energy["joules_per_request"] =
      r.energy.known() ? Json(*r.energy.joules / static_cast<double>(r.requests + r.requests_warmup)) : Json(nullptr);
  energy["seconds_busy_per_replica"] = r.seconds_busy_per_replica;
  energy["power"] = power_json(PowerCatalog::builtin().model_of(*s.hardware), Pue{r.energy.pue, r.energy.pue_source});
  j["energy"] = energy;
  if (so.load.kind == LoadKind::kPoisson) j["rate"] = so.load.rate;
  if (so.load.kind == LoadKind::kClosedLoop) j["concurrency"] = so.load.concurrency;
  return j;
}

std::string text_report(const ServingSetup& s, const ServingResult& r, const Render& rd) {
  const ServingOptions& so = s.options;
  std::string out = style(rd, s.spec.name, "1") + " on " +
                    (so.workload.parallel.tp > 1 ? fmt::format("{} x ", so.workload.parallel.tp) : "") + s.hardware->name +
                    (so.replicas > 1 ? fmt::format(", {} replicas", so.replicas) : "") +
                    fmt::format(" ({}, {} requests{})\n\n", load_name(so.load.kind), r.requests,
                                r.requests_warmup > 0 ? fmt::format(" after {} warm-up", r.requests_warmup) : "");
  Table t({"latency", "p50", "p90", "p99", "mean"}, {false, true, true, true, true});
  auto row = [&](const char* name, const LatencySummary& l) {
    t.add({name, format_seconds(l.p50), format_seconds(l.p90), format_seconds(l.p99), format_seconds(l.mean)});
  };
  row("time to first token", r.ttft_seconds);
  row("inter-token latency", r.itl_seconds);
  row("end to end", r.e2e_seconds);
  out += t.render(2) + "\n";
  std::vector<std::pair<std::string, std::string>> f;
  f.push_back({"output tokens/s", format_si(r.output_tokens_per_second)});
  f.push_back({"requests/s", format_si(r.requests_per_second)});
  f.push_back({"KV cache used", format_percent(r.kv_cache_utilization) + fmt::format(" of {} blocks", r.kv_blocks)});
  f.push_back({"mean running", fmt::format("{:.1f} sequences", r.mean_running)});
  f.push_back({"preemptions", std::to_string(r.preemptions)});
  f.push_back({"Little's law", fmt::format("{:.2f} in system vs throughput x e2e {:.2f}", r.littles_law_in_system,
                                           r.littles_law_throughput_x_e2e)});
  if (r.energy.known()) {
    f.push_back({"energy", fmt::format("{:.3g} J per request, {:.3g} kWh per million output tokens (busy {}, {:.0f} W "
                                       "per device, PUE {:g})",
                                       *r.energy.joules / static_cast<double>(r.requests + r.requests_warmup),
                                       *r.energy.kwh_per_million(r.output_tokens), format_percent(r.energy.utilization),
                                       r.energy.watts, r.energy.pue)});
  } else {
    f.push_back({"energy", "not known (no board power for this hardware in the catalog)"});
  }
  out += render_fields(f, 2);
  return out;
}

}  // namespace

Result<Output> simulate(const SimulateOptions& o, const Render& render) {
  auto load = read_load(o);
  if (!load) return load.error();
  auto s = resolve_serving(o.serving);
  if (!s) return s.error();
  load->prompt = s->options.load.prompt;  // a trace's own lengths win; the flags were still checked
  load->output = s->options.load.output;
  s->options.load = std::move(*load);
  s->options.replicas = o.replicas;
  s->options.pue = o.pue;
  if (o.progress) o.progress("running the engine");
  auto r = simulate_serving(s->spec, s->options, *s->hardware, *s->prefill_engine, *s->decode_engine);
  if (!r) return r.error();
  Output out;
  if (render.json) {
    out.json = document(*s, *r);
  } else {
    out.text = text_report(*s, *r, render);
  }
  return out;
}

Result<SimulateOptions> simulate_options(const Json& options) {
  SimulateOptions o;
  Json j = options;
  // "rate": requests per second as a number, or "inf" as the CLI takes it.
  if (j.is_object() && j.contains("rate") && j["rate"].is_number()) j["rate"] = fmt::format("{}", j["rate"].get<double>());
  OptionsReader r(j, "simulate");
  read_serving_model(r, o.serving);
  int64_t seed = 1;
  r.read("rate", o.rate)
      .read("concurrency", o.concurrency)
      .read("trace", o.trace)
      .read("requests", o.requests)
      .read("duration", o.duration)
      .read("warmup", o.warmup)
      .read("seed", seed)
      .read("replicas", o.replicas)
      .read("pue", o.pue);
  if (auto st = r.done(); !st) return st.error();
  if (seed < 0) return bad_input(fmt::format("--seed: expected an integer from 0, got {}", seed));
  o.seed = static_cast<uint64_t>(seed);
  return o;
}

}  // namespace flopscope::api
