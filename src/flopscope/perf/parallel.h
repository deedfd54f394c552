// A training step over many devices (docs/parallelism.md): the op list of one device and
// one micro-batch (cost/lower_transformer.h with the workload's Parallel layout) timed by the
// engine, composed into the step of a pipelined, data-parallel run:
//
//   t_mb   = forward + backward compute of one micro-batch on one stage
//            + its exposed collectives (tensor-parallel, MoE all-to-all, pipeline sends)
//            + what ring attention's and ZeRO-3's collectives add beyond the compute that
//              hides them
//   bubble = (pp - 1) / v x t_mb                      (1F1B, v interleaved chunks per stage;
//                                                     Narayanan et al. 2021, sec. 2.2)
//   step   = m x t_mb + bubble                        (m micro-batches per pipeline)
//            + max(0, data-parallel gradient reduction - backward of the last micro-batch)
//            + max(0, ZeRO-1/2 weight all-gather - forward of one micro-batch)
//            + optimizer update of the device's shard
//   MFU    = model FLOPs of the global batch / (step x devices x dense peak)   (PaLM, app. B)
//   HFU    = the same with recomputation counted
//
// Memory of the fullest device (Korthikanti et al. 2022, sec. 4.2.3): the first stage keeps
// the activations of min(m, pp) micro-batches of its layers/pp layers (x (1 + (pp-1)/(pp v))
// interleaved); the last keeps one micro-batch plus the logits. Weights 2 B, gradients in the
// reduction dtype (Megatron: fp32 main grads; ZeRO-3: 2 B), AdamW states 12 B per parameter,
// each divided by the data-parallel size from ZeRO stage 3, 2 and 1 on.
//
// The step is a pure function of what one stage computes per micro-batch: profile_stage()
// lowers and times the layout-independent part once (tp, sp, cp, ep, micro batch,
// recomputation, on one node placement), stage_times() scales it to a pipeline depth, and
// compose() adds pp, v, dp and ZeRO arithmetically. predict_parallel_train is exactly
// profile + stage_times + compose, so the planner (plan/train_planner.h), which caches the
// first two, can never disagree with it.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "flopscope/cost/flops.h"
#include "flopscope/cost/memory.h"
#include "flopscope/cost/workload.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/model/transformer_spec.h"
#include "flopscope/perf/timing_engine.h"

namespace flopscope {

/// Where a step's time goes, per device.
enum class StepPart { kCompute, kTensorParallel, kPipeline, kExpertParallel, kContextParallel, kDataParallel,
                      kBubble, kOptimizer, kCount };
const char* step_part_name(StepPart p);

struct ParallelPrediction {
  Workload workload;            ///< batch = micro batch; parallel = the layout
  OpList ops;                   ///< one device, one micro-batch, the last pipeline stage
  int64_t global_batch = 0;     ///< sequences per step
  double seconds_per_step = 0;
  double tokens_per_second = 0;  ///< whole cluster
  double mfu = 0, hfu = 0;
  double flops_model_per_step = 0, flops_hardware_per_step = 0;
  double seconds_forward = 0, seconds_backward = 0;  ///< compute of one micro-batch on one stage
  double seconds_micro_batch = 0;                    ///< t_mb above
  double bubble_fraction = 0;                        ///< bubble / (m x t_mb)
  double seconds_communication = 0;                  ///< every collective of the step, hidden or not
  double seconds_communication_exposed = 0;          ///< what adds to the step
  std::array<double, static_cast<size_t>(StepPart::kCount)> seconds_by_part{};
  MemoryReport memory;          ///< the fullest device
  double bytes_activations_first_stage = 0, bytes_activations_last_stage = 0;
  bool fits = true;
};

/// Activation memory of one micro-batch on a layout's tp, sp and cp split (Korthikanti et
/// al. 2022): all a step's memory needs of its stage, and arithmetic only (no lowering).
struct StageMemory {
  double bytes_activations_per_layer = 0;   ///< mean over the layers
  double bytes_working_full_recompute = 0;  ///< one layer recomputed (full recomputation)
};
StageMemory stage_memory(const TransformerSpec& spec, const Workload& workload, const MemoryOptions& memory_options);

/// The memory of the fullest device of `workload`'s full layout (the header's model).
struct StepMemory {
  MemoryReport memory;
  double bytes_activations_first_stage = 0, bytes_activations_last_stage = 0;
  bool fits = true;
};
StepMemory step_memory(const TransformerSpec& spec, const StageMemory& stage, const Workload& workload,
                       const Hardware& hardware, const MemoryOptions& memory_options);

/// The part of a stage that does not depend on pp, v, dp or ZeRO: the compute ops of one
/// micro-batch on a device of the first pipeline stage of one (pp = 1), with the layers'
/// and the head's collectives, and the activation memory per layer. Key: the workload's
/// batch, seq, dtypes, recompute, modules, and the layout's tp, sp, cp, ep, gpus_per_node.
struct StageProfile {
  Workload workload;              ///< the key (parallel: pp = dp = v = 1, zero 0)
  OpList forward, backward;       ///< compute ops (no collectives), lowering order
  struct Collective {
    double seconds = 0;           ///< one execution
    int64_t count = 1;
    bool layer = false;           ///< repeats with the stage's layers
    bool embedding = false;       ///< only on a stage that holds the embedding (pp = 1)
    StepPart part = StepPart::kTensorParallel;
    Overlap overlap = Overlap::kExposed;
  };
  std::vector<Collective> collectives;
  Op optimizer;                   ///< the lowering's AdamW update (kind kOther: none), rescaled per shard
  FlopReport flops;               ///< the whole model, one micro-batch, no layout
  StageMemory memory;             ///< stage_memory() of the key
};

/// Times of a profile's stage at a pipeline depth (layers / pp layers, the embedding only
/// at pp = 1): compute by pass, attention, collectives by what hides them.
struct StageTimes {
  int64_t pp = 1;
  double seconds_forward = 0, seconds_backward = 0, seconds_attention = 0;
  double exposed = 0, under_attention = 0, under_micro_batch = 0;
  std::array<double, static_cast<size_t>(StepPart::kCount)> exposed_by_part{};
};

/// Lowers and times the profile of `workload` (its layout's pp, v, dp, zero are ignored).
Result<StageProfile> profile_stage(const TransformerSpec& spec, const Workload& workload, const Hardware& hardware,
                                   const TimingEngine& engine, const MemoryOptions& memory_options);
StageTimes stage_times(const StageProfile& profile, const TimingEngine& engine, int64_t pp);

/// The step of `workload`'s full layout (micro_batches and dp set) from its stage's
/// profile and times: arithmetic only (a few collectives and the optimizer update timed).
/// Its memory is step_memory()'s, so a planner may rule a layout out before timing it.
/// `ops` of the result stays empty; `workload` must match the profile's key.
ParallelPrediction compose(const TransformerSpec& spec, const StageProfile& profile, const StageTimes& times,
                           const Workload& workload, const Hardware& hardware, const TimingEngine& engine,
                           const MemoryOptions& memory_options);

/// Checks a layout against the model and the sequence (validate() plus cp and sp against
/// --seq), as predict_parallel_train does first.
Status check_parallel_layout(const TransformerSpec& spec, const Workload& workload);

/// Checks the layout against the model and the workload (seq divisible by cp, and by 2 cp
/// for causal load balancing; tokens by tp with sequence parallelism), then predicts.
/// `workload.phase` must be kTrainStep; `engine` should carry the system's network.
Result<ParallelPrediction> predict_parallel_train(const TransformerSpec& spec, const Workload& workload,
                                                  const Hardware& hardware, const TimingEngine& engine,
                                                  const MemoryOptions& memory_options);

/// A training step of `global_batch` sequences on `gpus` devices: the data-parallel size is
/// derived (gpus / (tp pp cp)), and a micro batch of 0 in `workload.batch` is chosen: the
/// fastest of the divisors of global_batch / dp that fits (the smallest when none fits).
/// Errors name the flag: "--gpus: expected a multiple of tp x pp x cp = 16, got 24",
/// "--global-batch: expected at least one sequence per data-parallel replica (8), got 4".
Result<ParallelPrediction> predict_training(const TransformerSpec& spec, const Workload& workload, int64_t gpus,
                                            int64_t global_batch, const Hardware& hardware,
                                            const TimingEngine& engine, const MemoryOptions& memory_options);

}  // namespace flopscope
