// The JSON form of every command (api.h): name, summary, and options -> document.
#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/api/autoscale.h"
#include "flopscope/api/budget.h"
#include "flopscope/api/capacity.h"
#include "flopscope/api/compress.h"
#include "flopscope/api/count.h"
#include "flopscope/api/drift.h"
#include "flopscope/api/edge.h"
#include "flopscope/api/fit.h"
#include "flopscope/api/frontier.h"
#include "flopscope/api/hardware.h"
#include "flopscope/api/ledger.h"
#include "flopscope/api/memory.h"
#include "flopscope/api/mfu.h"
#include "flopscope/api/models.h"
#include "flopscope/api/optimal.h"
#include "flopscope/api/overtrain.h"
#include "flopscope/api/plan.h"
#include "flopscope/api/probe.h"
#include "flopscope/api/rank.h"
#include "flopscope/api/report.h"
#include "flopscope/api/simulate.h"
#include "flopscope/api/transition.h"
#include "flopscope/api/predict.h"
#include "flopscope/api/predict_graph.h"
#include "flopscope/util/spellcheck.h"

namespace flopscope::api {

namespace {

// Reads the options, runs the command for its JSON document.
template <typename Options>
Result<Json> run_json(const Json& j, Result<Options> (*read)(const Json&),
                      Result<Output> (*run)(const Options&, const Render&)) {
  auto options = read(j);
  if (!options) return options.error();
  auto out = run(*options, Render{});
  if (!out) return out.error();
  return std::move(out->json);
}

// One line per command, sorted by name (endpoints() promises the order; a test checks it).
const Endpoint kEndpoints[] = {
    {"autoscale", "Autoscaling policies over a load curve: GPU-hours, cost, late and dropped requests",
     [](const Json& j) { return run_json(j, autoscale_options, autoscale); }},
    {"budget/plan", "Plan a portfolio of jobs under a budget: environment, devices and month per job (GLPK)",
     [](const Json& j) { return run_json(j, budget_plan_options, budget_plan); }},
    {"capacity", "Highest request rate within latency targets; replicas and cost",
     [](const Json& j) { return run_json(j, capacity_options, capacity); }},
    {"compress", "Quantization, sparsity, pruning and distillation side by side for serving",
     [](const Json& j) { return run_json(j, compress_options, compress); }},
    {"count", "Count parameters and FLOPs (forward, training step, prefill, decode)",
     [](const Json& j) { return run_json(j, count_options, count); }},
    {"drift", "Changes in a quality metric over time (Page-Hinkley, ADWIN, PSI); retraining cadence and its yearly cost",
     [](const Json& j) { return run_json(j, drift_options, drift); }},
    {"edge", "Edge or cloud: latency, cost, energy and CO2e per request, and the break-even volume",
     [](const Json& j) { return run_json(j, edge_options, edge); }},
    {"fit", "Fit a scaling law L(N, D) to your training runs (Hoffmann approach 3)",
     [](const Json& j) { return run_json(j, fit_options, fit); }},
    {"frontier", "Quality-versus-compute Pareto frontier of a set of models",
     [](const Json& j) { return run_json(j, frontier_options, frontier); }},
    {"hardware", "List the hardware catalog: peaks, memory, bandwidth, prices",
     [](const Json& j) { return run_json(j, hardware_options, hardware); }},
    {"ledger/check", "Find waste: idle GPUs, MFU far under prediction, spend over plan or cap",
     [](const Json& j) { return run_json(j, ledger_check_options, ledger_check); }},
    {"ledger/report", "Spend by job, tag and period; burn rate and cap; realized vs predicted MFU",
     [](const Json& j) { return run_json(j, ledger_report_options, ledger_report); }},
    {"memory", "Memory per device for training or inference",
     [](const Json& j) { return run_json(j, memory_options, memory); }},
    {"mfu", "Model FLOPs utilization of a measured training throughput",
     [](const Json& j) { return run_json(j, mfu_options, mfu); }},
    {"models", "List the built-in model catalog",
     [](const Json& j) { return run_json(j, models_options, models); }},
    {"optimal", "Compute-optimal model size and tokens for a budget (Chinchilla, Kaplan, ...)",
     [](const Json& j) { return run_json(j, optimal_options, optimal); }},
    {"overtrain", "How far a trained model is past compute-optimal, and what it saves at inference",
     [](const Json& j) { return run_json(j, overtrain_options, overtrain); }},
    {"plan/train", "The fastest or cheapest training layout on N devices",
     [](const Json& j) { return run_json(j, plan_train_options, plan_train); }},
    {"predict/attention", "Time one flash-attention call (forward, or with backward)",
     [](const Json& j) { return run_json(j, predict_attention_options, predict_attention); }},
    {"predict/decode", "Time per generated token (CUDA graphs by default)",
     [](const Json& j) { return run_json(j, predict_decode_options, predict_decode); }},
    {"predict/gemm", "Time one GEMM: tiles, waves, roofline",
     [](const Json& j) { return run_json(j, predict_gemm_options, predict_gemm); }},
    {"predict/graph", "Time an ONNX graph at its bound shapes, node by node",
     [](const Json& j) { return run_json(j, predict_graph_options, predict_graph); }},
    {"predict/prefill", "Time to process a prompt (PyTorch eager by default)",
     [](const Json& j) { return run_json(j, predict_prefill_options, predict_prefill); }},
    {"predict/train", "Time, throughput, MFU and memory of one training step, on one device or many",
     [](const Json& j) { return run_json(j, predict_train_options, predict_train); }},
    {"probe", "Measure this machine (GEMM, attention, bandwidth, launch and host cost) into a profile",
     [](const Json& j) { return run_json(j, probe_options, probe); }},
    {"rank", "Rank environments for a workload by time, cost or energy, with the Pareto front",
     [](const Json& j) { return run_json(j, rank_options, rank); }},
    {"report", "One-screen summary: size, FLOPs, memory, which accelerators hold it",
     [](const Json& j) { return run_json(j, report_options, report); }},
    {"simulate", "Simulate a continuous-batching serving engine under load",
     [](const Json& j) { return run_json(j, simulate_options, simulate); }},
    {"transition", "What moving a workload to another GPU, cloud, precision or stack gains or loses",
     [](const Json& j) { return run_json(j, transition_options, transition); }},
};

}  // namespace

std::string style(const Render& r, std::string_view text, const char* code) {
  if (!r.color) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

std::span<const Endpoint> endpoints() { return kEndpoints; }

Result<Json> call(std::string_view name, const Json& options) {
  for (const Endpoint& e : kEndpoints) {
    if (e.name != name) continue;
    // The boundary of the library for front ends that cannot take an exception (a server's
    // worker, the Python interpreter): every expected failure is a Result, anything else is
    // one line here.
    try {
      return e.call(options);
    } catch (const std::bad_alloc&) {
      return failure(fmt::format("{}: out of memory: the input asks for more than this machine has", name));
    } catch (const std::exception& ex) {
      return failure(fmt::format("{}: internal error: {}", name, ex.what()));
    }
  }
  std::vector<std::string> names;
  for (const Endpoint& e : kEndpoints) names.emplace_back(e.name);
  return not_found(fmt::format("unknown command '{}'{}", name, did_you_mean(name, names)));
}

}  // namespace flopscope::api
