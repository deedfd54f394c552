#include "flopscope/perf/parallel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "flopscope/cost/lower_transformer.h"

namespace flopscope {

const char* step_part_name(StepPart p) {
  switch (p) {
    case StepPart::kCompute: return "compute";
    case StepPart::kTensorParallel: return "tensor_parallel";
    case StepPart::kPipeline: return "pipeline_send";
    case StepPart::kExpertParallel: return "expert_parallel";
    case StepPart::kContextParallel: return "context_parallel";
    case StepPart::kDataParallel: return "data_parallel";
    case StepPart::kBubble: return "pipeline_bubble";
    case StepPart::kOptimizer: return "optimizer";
    case StepPart::kCount: break;
  }
  return "?";
}

namespace {

StepPart part_of(const Op& op) {
  if (op.component == "comm.tp") return StepPart::kTensorParallel;
  if (op.component == "comm.pp") return StepPart::kPipeline;
  if (op.component == "comm.ep") return StepPart::kExpertParallel;
  if (op.component == "comm.cp") return StepPart::kContextParallel;
  return StepPart::kDataParallel;
}

Status check_layout(const TransformerSpec& spec, const Workload& w) {
  const Parallel& p = w.parallel;
  if (auto st = validate(p, spec); !st) return st;
  if (w.seq % p.cp != 0) {
    return bad_input(fmt::format("--cp: expected a divisor of --seq {}, got {}", w.seq, p.cp));
  }
  if (p.cp > 1 && spec.causal && w.seq % (2 * p.cp) != 0) {
    return bad_input(fmt::format("--cp: causal load balancing splits --seq into 2 x cp chunks; expected --seq a "
                                 "multiple of {}, got {}",
                                 2 * p.cp, w.seq));
  }
  if (p.sequence_parallel && (w.seq / p.cp) % p.tp != 0) {
    return bad_input(fmt::format("--sp: expected --seq / --cp = {} to be a multiple of --tp {}", w.seq / p.cp, p.tp));
  }
  return {};
}

}  // namespace

Result<ParallelPrediction> predict_parallel_train(const TransformerSpec& spec, const Workload& w, const Hardware& hw,
                                                  const TimingEngine& engine, const MemoryOptions& memory_options) {
  if (w.phase != Phase::kTrainStep) return bad_input("predict_parallel_train: expected a training step");
  if (auto st = validate(w); !st) return st.error();
  if (auto st = check_layout(spec, w); !st) return st.error();
  if (!hw.supports(w.dtype)) {
    return bad_input("hardware '" + hw.id + "' has no " + std::string(dtype_name(w.dtype)) +
                     " support (see flopscope hardware " + hw.id + ")");
  }
  const Parallel& par = w.parallel;
  ParallelPrediction r;
  r.workload = w;
  r.ops = lower_transformer(spec, w);
  for (const Op& op : r.ops) {
    if (auto st = engine.check(op); !st) return st.error();
  }

  // Split the device's ops: compute by pass, collectives by what hides them.
  OpList forward, backward, optimizer;
  double exposed = 0, under_attention = 0, under_micro_batch = 0, last_backward = 0, next_forward = 0;
  double attention = 0;
  std::array<double, static_cast<size_t>(StepPart::kCount)> exposed_by_part{};
  std::array<double, static_cast<size_t>(StepPart::kCount)> hidden_by_part{};
  for (const Op& op : r.ops) {
    if (op.kind == OpKind::kCollective) {
      double t = engine.collective_seconds(op.collective) * static_cast<double>(op.count);
      size_t part = static_cast<size_t>(part_of(op));
      switch (op.overlap) {
        case Overlap::kExposed: exposed += t; exposed_by_part[part] += t; break;
        case Overlap::kAttention: under_attention += t; hidden_by_part[part] += t; break;
        case Overlap::kMicroBatch: under_micro_batch += t; hidden_by_part[part] += t; break;
        case Overlap::kLastBackward: last_backward += t; break;
        case Overlap::kNextForward: next_forward += t; break;
      }
      continue;
    }
    if (op.kind == OpKind::kAttention) attention += engine.time(op).seconds_stream * static_cast<double>(op.count);
    (op.pass == Pass::kForward ? forward : op.pass == Pass::kBackward ? backward : optimizer).push_back(op);
  }
  r.seconds_forward = time_ops(engine, forward).seconds;
  r.seconds_backward = time_ops(engine, backward).seconds;
  const double t_opt = time_ops(engine, optimizer).seconds;
  const double compute = r.seconds_forward + r.seconds_backward;
  const double cp_exposed = std::max(0.0, under_attention - attention);
  const double zero3_exposed = std::max(0.0, under_micro_batch - compute);
  r.seconds_micro_batch = compute + exposed + cp_exposed + zero3_exposed;

  const double m = static_cast<double>(par.micro_batches);
  const double stages = static_cast<double>(par.pp);
  const double chunks = static_cast<double>(par.virtual_stages);
  const double bubble = (stages - 1) / chunks * r.seconds_micro_batch;
  const double dp_exposed = std::max(0.0, last_backward - r.seconds_backward);
  const double gather_exposed = std::max(0.0, next_forward - r.seconds_forward);
  r.seconds_per_step = m * r.seconds_micro_batch + bubble + dp_exposed + gather_exposed + t_opt;
  r.bubble_fraction = m * r.seconds_micro_batch > 0 ? bubble / (m * r.seconds_micro_batch) : 0;
  r.seconds_communication = m * (exposed + under_attention + under_micro_batch) + last_backward + next_forward;
  r.seconds_communication_exposed = m * (exposed + cp_exposed + zero3_exposed) + dp_exposed + gather_exposed;
  auto& by = r.seconds_by_part;
  by[static_cast<size_t>(StepPart::kCompute)] = m * compute;
  for (size_t i = 0; i < by.size(); ++i) by[i] += m * exposed_by_part[i];
  by[static_cast<size_t>(StepPart::kContextParallel)] += m * cp_exposed;
  by[static_cast<size_t>(StepPart::kDataParallel)] += m * zero3_exposed + dp_exposed + gather_exposed;
  by[static_cast<size_t>(StepPart::kBubble)] = bubble;
  by[static_cast<size_t>(StepPart::kOptimizer)] = t_opt;

  // FLOPs of the global batch: the whole model over every micro-batch of every replica.
  r.global_batch = w.batch * par.micro_batches * par.dp;
  Workload whole = w;
  whole.parallel = Parallel{};
  FlopReport f = count_flops(spec, whole);
  const double replicas = m * static_cast<double>(par.dp);
  r.flops_model_per_step = f.model_flops * replicas;
  r.flops_hardware_per_step = f.hardware_flops * replicas;
  const double devices = static_cast<double>(par.devices());
  const double peak = hw.peak(w.dtype);
  if (r.seconds_per_step > 0) {
    r.tokens_per_second = static_cast<double>(r.global_batch) * static_cast<double>(w.seq) / r.seconds_per_step;
    if (peak > 0) {
      r.mfu = r.flops_model_per_step / (r.seconds_per_step * devices * peak);
      r.hfu = r.flops_hardware_per_step / (r.seconds_per_step * devices * peak);
    }
  }

  // Memory of the first and the last stage; the fuller one is reported.
  MemoryOptions mo = memory_options;
  mo.tensor_parallel = par.tp;
  mo.sequence_parallel = par.sequence_parallel;
  mo.recompute = w.recompute;
  mo.flash_attention = w.flash_attention;
  mo.modules = w.modules;
  mo.mixed_precision = w.mixed_precision;
  const int64_t seq = w.seq / par.cp;
  double per_layer = 0, working = 0;
  for (const auto& l : spec.layers) {
    per_layer += activation_bytes_per_layer(spec, w.batch, seq, l.moe, mo);
    if (w.recompute == Recompute::kFull) {
      MemoryOptions none = mo;
      none.recompute = Recompute::kNone;
      working = std::max(working, activation_bytes_per_layer(spec, w.batch, seq, l.moe, none));
    }
  }
  const double layers_per_stage = std::ceil(static_cast<double>(spec.num_layers) / stages);
  per_layer = spec.num_layers > 0 ? per_layer / static_cast<double>(spec.num_layers) : 0;
  double in_flight = std::min(m, stages);
  if (par.virtual_stages > 1) in_flight *= 1 + (stages - 1) / (stages * chunks);
  const double tp = static_cast<double>(par.tp);
  const double hidden_out = 2.0 * static_cast<double>(w.batch * seq * spec.hidden_size) / (par.sequence_parallel ? tp : 1);
  r.bytes_activations_first_stage = layers_per_stage * per_layer * in_flight + working + hidden_out;
  double logits = spec.causal ? static_cast<double>(w.batch * seq) * static_cast<double>(spec.vocab_size) / tp * (2 + 4)
                              : 0;
  r.bytes_activations_last_stage = layers_per_stage * per_layer + working + hidden_out + logits;
  if (par.pp == 1) r.bytes_activations_first_stage = r.bytes_activations_last_stage =
      layers_per_stage * per_layer * 1 + working + hidden_out + logits;

  const double group = static_cast<double>(par.dp * par.cp);
  const double grad_bytes = par.zero >= 3 ? bytes_per_element(w.dtype) : bytes_per_element(w.grad_reduce_dtype);
  const double state_bytes = w.mixed_precision ? 12 : 4;
  auto device = [&](bool first, double activations) {
    MemoryReport m_;
    double params = device_params(spec, par, first);
    m_.bytes_weights = params * 2 / (par.zero >= 3 ? group : 1);
    if (par.zero >= 3) {
      // The gathered weights of the layer being computed and of the one prefetched.
      m_.bytes_weights += 2 * 2 * params / std::max(1.0, layers_per_stage);
    }
    m_.bytes_gradients = params * grad_bytes / (par.zero >= 2 ? group : 1);
    m_.bytes_optimizer = params * state_bytes / (par.zero >= 1 ? group : 1);
    m_.bytes_activations = activations;
    m_.bytes_activations_per_layer = per_layer;
    m_.bytes_logits = first && par.pp > 1 ? 0 : logits;
    m_.bytes_runtime_overhead = mo.bytes_runtime_overhead;
    // Megatron and FSDP keep their gradient buffers for the whole step.
    m_.bytes_peak_allocated = m_.bytes_weights + m_.bytes_gradients + m_.bytes_optimizer + activations;
    m_.bytes_total = m_.bytes_peak_allocated + m_.bytes_runtime_overhead;
    return m_;
  };
  MemoryReport first = device(true, r.bytes_activations_first_stage);
  MemoryReport last = device(false, r.bytes_activations_last_stage);
  r.memory = first.bytes_total >= last.bytes_total ? first : last;
  r.fits = hw.bytes_memory <= 0 || r.memory.bytes_total <= hw.bytes_memory;
  return r;
}

Result<ParallelPrediction> predict_training(const TransformerSpec& spec, const Workload& workload, int64_t gpus,
                                            int64_t global_batch, const Hardware& hw, const TimingEngine& engine,
                                            const MemoryOptions& memory_options) {
  constexpr int64_t kMaxDevices = 1'000'000;
  if (gpus < 1 || gpus > kMaxDevices) {
    return bad_input(fmt::format("--gpus: expected an integer from 1 to {}, got {}", kMaxDevices, gpus));
  }
  if (global_batch < 1 || global_batch > 1'000'000'000) {
    return bad_input(fmt::format("--global-batch: expected an integer from 1 to 1e9 sequences, got {}", global_batch));
  }
  Workload w = workload;
  Parallel& p = w.parallel;
  for (auto [flag, v] : {std::pair{"--tp", p.tp}, {"--pp", p.pp}, {"--cp", p.cp}}) {
    if (v < 1 || v > kMaxDevices) return bad_input(fmt::format("{}: expected an integer from 1 to {}, got {}", flag, kMaxDevices, v));
  }
  const int64_t model_parallel = p.tp * p.pp * p.cp;  // each <= 1e6 but the product may exceed gpus
  if (static_cast<double>(p.tp) * static_cast<double>(p.pp) * static_cast<double>(p.cp) > static_cast<double>(gpus) ||
      gpus % model_parallel != 0) {
    return bad_input(fmt::format("--gpus: expected a multiple of tp x pp x cp = {} x {} x {}, got {}", p.tp, p.pp, p.cp,
                                 gpus));
  }
  p.dp = gpus / model_parallel;
  if (global_batch < p.dp) {
    return bad_input(fmt::format("--global-batch: expected at least one sequence per data-parallel replica ({}), got {}",
                                 p.dp, global_batch));
  }
  if (global_batch % p.dp != 0) {
    return bad_input(fmt::format("--global-batch: expected a multiple of the data-parallel size {}, got {}", p.dp,
                                 global_batch));
  }
  const int64_t per_replica = global_batch / p.dp;
  if (w.batch > 0) {
    if (per_replica % w.batch != 0) {
      return bad_input(fmt::format("--micro-batch: expected a divisor of global batch / data-parallel = {}, got {}",
                                   per_replica, w.batch));
    }
    p.micro_batches = per_replica / w.batch;
    return predict_parallel_train(spec, w, hw, engine, memory_options);
  }
  // Choose: every divisor up to 64 sequences (past that nothing gets faster).
  std::optional<ParallelPrediction> best;
  for (int64_t b = 1; b <= std::min<int64_t>(per_replica, 64); ++b) {
    if (per_replica % b != 0) continue;
    w.batch = b;
    p.micro_batches = per_replica / b;
    auto r = predict_parallel_train(spec, w, hw, engine, memory_options);
    if (!r) return r.error();
    bool better = !best || (r->fits && !best->fits) ||
                  (r->fits == best->fits && r->fits && r->seconds_per_step < best->seconds_per_step);
    if (better) best = std::move(*r);
    if (!best->fits) continue;
  }
  return std::move(*best);
}

}  // namespace flopscope
