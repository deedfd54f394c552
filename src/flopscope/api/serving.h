// What `simulate`, `capacity` and `autoscale` share: the model on its replica (hardware,
// tp, dtypes, calibration profile, software) and the engine settings, resolved into what
// plan/serving.h needs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "flopscope/api/api.h"
#include "flopscope/api/options.h"
#include "flopscope/hw/calibration.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/hw/system.h"
#include "flopscope/model/transformer_spec.h"
#include "flopscope/perf/timing_engine.h"
#include "flopscope/plan/serving.h"

namespace flopscope::api {

/// The flags of a served model (CLI: MODEL, --hardware, --dtype, --profile, --software,
/// --tp, --weights, --kv-dtype, --decode-attention, --prompt, --output, --block-size, --max-running,
/// --max-batched-tokens, --memory-fraction, --kv-free-fraction, --prefill, --prefill-first, --reserve-output, --step-overhead,
/// --token-overhead).
struct ServingModel {
  std::string model;           ///< catalog name, HF id, config.json, snapshot folder or .gguf
  Json model_config;           ///< a config.json object instead of `model` (JSON front ends)
  std::string hardware;
  std::string dtype = "bf16";
  std::string profile;         ///< calibration profile file (flopscope probe)
  std::string software;        ///< empty: eager for prefill, graphs for decode
  int64_t tp = 1;
  std::string weights;         ///< weight dtype (default: the compute dtype)
  std::string kv_dtype;        ///< default: bf16, fp8 with --dtype fp8
  std::string decode_attention = "grouped";  ///< grouped, per-head or trtllm-0.9 (cost/workload.h)
  std::string prompt;          ///< N, uniform:LO:HI or exp:MEAN
  std::string output;
  EngineSettings engine;
  std::string prefill;         ///< chunked, whole or first (plan/serving.h PrefillPolicy); empty: chunked
  bool prefill_first = false;  ///< the same as prefill = first
  /// Told a warning (a profile calibrated on other hardware); may be empty.
  std::function<void(const std::string&)> warn;
};

/// Reads the keys above (model, hardware, dtype, profile, software, tp, weights, kv_dtype,
/// decode_attention,
/// prompt, output, block_size, max_running, max_batched_tokens, memory_fraction,
/// prefill, prefill_first, reserve_output, step_overhead, token_overhead, kv_free_fraction).
void read_serving_model(OptionsReader& r, ServingModel& m);

/// A model on a replica, ready to simulate: the engines outlive the options that point at them.
struct ServingSetup {
  TransformerSpec spec;
  const Hardware* hardware = nullptr;
  ServingOptions options;
  std::unique_ptr<TimingEngine> prefill_engine, decode_engine;
  std::optional<CalibrationProfile> profile;
  std::optional<System> system;
};

/// Resolves the model; `hardware_override` replaces --hardware when not empty and `tp`
/// replaces --tp when positive (capacity's comparison).
Result<ServingSetup> resolve_serving(const ServingModel& m, const std::string& hardware_override = "", int64_t tp = 0);

/// The latency summary as {"p50", "p90", "p95", "p99", "mean"}.
Json latency_json(const LatencySummary& s);

/// The max_running values a capacity search tries: the flag's, then 128, 64, 32, 16, 8 below it.
std::vector<int64_t> max_running_choices(int64_t max_running);

}  // namespace flopscope::api
