// Flags shared by `simulate` and `capacity`: the model, its replica (hardware, tp, dtypes)
// and the engine settings, resolved into what plan/serving.h needs.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "flopscope/hw/system.h"
#include "flopscope/model/transformer_spec.h"
#include "flopscope/plan/serving.h"
#include "predict_common.h"

namespace flopscope::cli {

struct ServingFlags {
  Common common;
  std::string model;
  int64_t tp = 1;
  std::string weights;
  std::string kv_dtype;
  std::string prompt;
  std::string output;
  EngineSettings engine;
  bool prefill_first = false;
};

/// MODEL, --hardware, --dtype, --profile, --software, --json, --tp, --weights, --kv-dtype,
/// --prompt, --output and the engine settings.
void add_serving_flags(CLI::App& sub, ServingFlags& f);

/// A model on a replica, ready to simulate: the engines outlive the options that point at them.
struct ServingSetup {
  TransformerSpec spec;
  Setup setup;
  ServingOptions options;
  std::unique_ptr<TimingEngine> prefill_engine, decode_engine;
  std::optional<System> system;
};

/// Resolves the flags; `tp` overrides --tp when positive (capacity --compare).
Result<ServingSetup> resolve_serving(const ServingFlags& f, const std::string& hardware_override = "", int64_t tp = 0);

/// The latency summary as {"p50", "p90", "p95", "p99", "mean"}.
nlohmann::json latency_json(const LatencySummary& s);

}  // namespace flopscope::cli
