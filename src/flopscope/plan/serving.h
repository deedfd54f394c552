// A serving simulator: a discrete-event simulation of one continuous-batching engine
// (vLLM / TensorRT-LLM style) per replica, whose iteration times come from the timing
// engine (perf/predict.h). docs/serving.md states the model, its formulas and its limits.
//
// Engine, per iteration (one forward pass of the model over the scheduled tokens):
//   1. Decodes first: every running sequence past its prompt gets one token, if the token
//      budget and the KV blocks allow. When a sequence needs a new block and none is free,
//      the most recently admitted running sequence is preempted (recompute: its blocks are
//      freed, it goes back to the head of the queue, and its prompt plus what it generated
//      is prefilled again when it is readmitted; vLLM's default).
//   (Each iteration also takes EngineSettings::seconds_step_overhead of host time, and
//   seconds_token_overhead for each token it emits.)
//   2. Prefills: sequences still inside their prompt continue, then waiting requests are
//      admitted in arrival order while running < max_running, tokens < max_batched_tokens
//      and the KV blocks of what is scheduled fit (PrefillPolicy): chunked prefill splits a
//      prompt over iterations; whole prompts join the decodes only when they fit entirely
//      (TensorRT-LLM's in-flight batching without chunked context; the first prompt that
//      does not fit stops the admissions); prefill-first runs iterations of whole prompts
//      only (decodes wait), as vLLM's V0 scheduler without chunking did.
// KV blocks: block_size tokens each; capacity = (memory_fraction x device memory - weights
// - the prefill working set at max_batched_tokens - runtime allowance) / (KV bytes per token
// per device x block_size), from perf/predict.h inference_memory_per_device (tp, pp); with
// kv_free_fraction, kv_free_fraction x (device memory - the same) instead.
// Iteration time: t(P, n, D, c) = prefill(P tokens of n sequences, after their prompts'
// cached tokens: chunks attend to the earlier chunks) + decode(D sequences at
// mean context c) - decode(1, 1) when both run (one pass reads the weights once: the decode
// part adds only its marginal cost). Both terms are predict() results cached on a grid:
// tokens and sequences on geometric steps of 2^(1/4), context on steps of 2^(1/2); values
// in between interpolate linearly, so a simulated hour costs a few hundred predictions.
// Latencies (per request): TTFT = first token - arrival; ITL = (e2e - TTFT) / (output - 1),
// the mean gap between its output tokens (genai-perf's inter-token latency, vLLM's TPOT);
// e2e = last token - arrival. Percentiles: util/statistics.h.
// Random numbers: std::mt19937_64 with hand-written transforms (exponential by inversion,
// uniform by 53-bit mantissa) so that a seed gives the same run with every standard library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/cost/workload.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/model/transformer_spec.h"
#include "flopscope/perf/timing_engine.h"
#include "flopscope/plan/energy.h"
#include "flopscope/plan/serving_input.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// Most requests one simulation runs (trace rows, --requests, rate x duration).
inline constexpr int64_t kServingMaxRequests = 2'000'000;

/// How prompts share an iteration with the decodes (header comment, step 2).
enum class PrefillPolicy {
  kChunked,  ///< split to fill the token budget, beside the decodes (vLLM V1; TensorRT-LLM with chunked context)
  kWhole,    ///< whole prompts beside the decodes while they fit (TensorRT-LLM in-flight batching, no chunking)
  kFirst,    ///< iterations of whole prompts only, decodes wait (vLLM V0 without chunking)
};

/// chunked, whole or first; else a bad-input error naming `field`.
Result<PrefillPolicy> parse_prefill_policy(std::string_view text, std::string_view field = "--prefill");
const char* prefill_policy_name(PrefillPolicy p);

/// Engine settings; the defaults are vLLM's (V1 engine: chunked prefill on).
struct EngineSettings {
  int64_t block_size = 16;             ///< tokens per KV block
  int64_t max_running = 256;           ///< max_num_seqs
  int64_t max_batched_tokens = 8192;   ///< max_num_batched_tokens per iteration
  double memory_fraction = 0.9;        ///< gpu_memory_utilization
  /// > 0: the KV cache takes this share of the memory left after the weights and working
  /// set (TensorRT-LLM's kv_cache_free_gpu_mem_fraction) instead of memory_fraction of the
  /// device minus them (vLLM's gpu_memory_utilization).
  double kv_free_fraction = 0;
  PrefillPolicy prefill = PrefillPolicy::kChunked;
  /// true: a request is admitted only when the KV of its whole prompt and output fits, and
  /// keeps those blocks until it ends, so nothing is ever preempted (TensorRT-LLM's default
  /// capacity scheduler, GUARANTEED_NO_EVICT). false: admitted when its prompt fits, blocks
  /// taken as tokens come, the newest sequence preempted (recompute) when they run out (vLLM).
  bool reserve_output = false;
  /// Host time per iteration that the GPU waits for (scheduling, sampling, detokenizing and
  /// streaming done between steps instead of behind them), added to every iteration and
  /// counted idle. 0: the engine overlaps it with the GPU (docs/serving.md).
  double seconds_step_overhead = 0;
  /// Host time per token an iteration emits (one per decoding sequence and per prompt it
  /// completes) that the GPU waits for: output processing, detokenizing and streaming done
  /// per sequence between steps. 0: overlapped with the GPU (docs/serving.md).
  double seconds_token_overhead = 0;
};


/// How requests arrive.
enum class LoadKind {
  kPoisson,     ///< open loop, exponential gaps at `rate`
  kAllAtOnce,   ///< --rate inf: every request queued at t = 0 (offline benchmarks)
  kClosedLoop,  ///< `concurrency` clients, each sends its next request when the last finishes
  kTrace,       ///< the given requests
};

struct ServingLoad {
  LoadKind kind = LoadKind::kPoisson;
  double rate = 1;            ///< requests per second over all replicas (kPoisson)
  int64_t concurrency = 1;    ///< clients over all replicas (kClosedLoop)
  std::vector<ServingRequest> trace;  ///< kTrace
  LengthDistribution prompt, output;
  int64_t requests = 0;       ///< how many (0: from seconds_duration)
  double seconds_duration = 0;  ///< arrivals within [0, duration) (kPoisson), or clients stop sending
  uint64_t seed = 1;
  /// The first `warmup` requests (in arrival order; each replica its round-robin share) run
  /// but are left out of the latencies, throughput and request rate: a steady-state
  /// measurement, as benchmark clients measure once the start-up burst has passed.
  int64_t warmup = 0;
};

struct ServingOptions {
  /// dtype, weight and KV dtypes, modules and the tp/pp layout of ONE replica; phase,
  /// batch, seq and context are set by the simulator.
  Workload workload;
  EngineSettings engine;
  ServingLoad load;
  int64_t replicas = 1;  ///< requests go round-robin to identical replicas
  double pue = 0;        ///< >= 1: given; 0: the default of data/hardware/power.toml
};

/// p50, p90, p95, p99 and mean of a latency, seconds.
struct LatencySummary {
  double p50 = 0, p90 = 0, p95 = 0, p99 = 0, mean = 0;
};

struct ServingResult {
  int64_t requests = 0;            ///< measured (after the warm-up)
  int64_t requests_warmup = 0;     ///< run first and left out of the statistics
  LatencySummary ttft_seconds, itl_seconds, e2e_seconds;
  /// All replicas, over the measured requests' first arrival .. last completion.
  double output_tokens_per_second = 0;
  double requests_per_second = 0;
  double kv_cache_utilization = 0;  ///< mean over time of used / total blocks (replica mean)
  int64_t preemptions = 0;
  int64_t iterations = 0;
  int64_t kv_blocks = 0;           ///< per replica
  double bytes_kv_per_token = 0;   ///< per device
  double seconds_simulated = 0;    ///< first arrival .. last completion
  double mean_running = 0;         ///< time-averaged running sequences per replica
  /// Little's law: mean requests in the system (time integral / span) against
  /// throughput x mean e2e; they agree to rounding when the bookkeeping is right.
  double littles_law_in_system = 0;
  double littles_law_throughput_x_e2e = 0;
  /// The cached step times (docs/serving.md): a prefill of one max_batched_tokens chunk,
  /// one decode step at batch 1 and at max_running, context prompt + output / 2.
  double seconds_prefill_one_prompt = 0;  ///< one request's whole prompt, alone
  double seconds_decode_batch1 = 0;       ///< one sequence at context prompt + output / 2
  int64_t predictions = 0;                ///< predict() calls the grid needed
  /// Energy (plan/energy.h, docs/serving.md "Energy"): replicas x tp x pp devices over
  /// seconds_simulated, busy for the iterations' compute- and memory-bound seconds, idle
  /// otherwise (no request, launch gaps), times the PUE.
  double seconds_busy_per_replica = 0;
  double output_tokens = 0;               ///< generated tokens of every request run (warm-up too)
  EnergyEstimate energy;
};

/// Runs the simulation. `prefill_engine` and `decode_engine` time the two kinds of work
/// (serving engines run decode under CUDA graphs). Errors: lengths < 1, a rate <= 0, no
/// requests, a model whose weights leave no room for one sequence's KV cache, a request
/// longer than the KV capacity, and predict()'s own errors.
Result<ServingResult> simulate_serving(const TransformerSpec& spec, const ServingOptions& options,
                                       const Hardware& hardware, const TimingEngine& prefill_engine,
                                       const TimingEngine& decode_engine);


}  // namespace flopscope
