#include "flopscope/perf/parallel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "flopscope/cost/lower_transformer.h"
#include "flopscope/cost/params.h"

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

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Ops of the layers repeat with the stage's layers; those named embed_* exist only on a
// stage that holds the embedding (cost/lower_transformer.cc names them so).
bool layer_op(const Op& op) { return starts_with(op.name, "layers"); }
bool embedding_op(const Op& op) { return starts_with(op.name, "embed_"); }

int64_t stage_count(int64_t count, int64_t pp) { return (count + pp - 1) / pp; }

}  // namespace

Status check_parallel_layout(const TransformerSpec& spec, const Workload& w) {
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

StageMemory stage_memory(const TransformerSpec& spec, const Workload& w, const MemoryOptions& memory_options) {
  // Activation memory per layer (Korthikanti et al. 2022) on this layout's split.
  const Parallel& par = w.parallel;
  MemoryOptions mo = memory_options;
  mo.tensor_parallel = par.tp;
  mo.sequence_parallel = par.sequence_parallel;
  apply_workload(w, mo);
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
  StageMemory m;
  m.bytes_activations_per_layer = spec.num_layers > 0 ? per_layer / static_cast<double>(spec.num_layers) : 0;
  m.bytes_working_full_recompute = working;
  return m;
}

Result<StageProfile> profile_stage(const TransformerSpec& spec, const Workload& w, const Hardware& hw,
                                   const TimingEngine& engine, const MemoryOptions& memory_options) {
  StageProfile prof;
  prof.workload = w;
  Parallel& key = prof.workload.parallel;
  key.pp = 1;
  key.virtual_stages = 1;
  key.dp = 1;
  key.zero = 0;
  key.micro_batches = 1;
  // The stage of one holds every layer and the embedding; the data-parallel collectives
  // and the optimizer update depend on dp and ZeRO and are added by compose().
  OpList ops = lower_transformer(spec, prof.workload);
  for (const Op& op : ops) {
    if (op.kind == OpKind::kOptimizer) prof.optimizer = op;
    if (op.pass == Pass::kOptimizer || op.component == "comm.dp") continue;
    if (auto st = engine.check(op); !st) return st.error();
    if (op.kind == OpKind::kCollective) {
      StageProfile::Collective c;
      c.seconds = engine.collective_seconds(op.collective);
      c.count = op.count;
      c.layer = layer_op(op);
      c.embedding = embedding_op(op);
      c.part = part_of(op);
      c.overlap = op.overlap;
      prof.collectives.push_back(c);
      continue;
    }
    (op.pass == Pass::kForward ? prof.forward : prof.backward).push_back(op);
  }
  Workload whole = w;
  whole.parallel = Parallel{};
  prof.flops = count_flops(spec, whole);

  prof.memory = stage_memory(spec, w, memory_options);
  (void)hw;
  return prof;
}

StageTimes stage_times(const StageProfile& prof, const TimingEngine& engine, int64_t pp) {
  StageTimes t;
  t.pp = std::max<int64_t>(1, pp);
  auto stage = [&](const OpList& in) {
    if (t.pp == 1) return in;
    OpList out;
    out.reserve(in.size());
    for (const Op& op : in) {
      if (embedding_op(op)) continue;
      out.push_back(op);
      if (layer_op(op)) out.back().count = stage_count(op.count, t.pp);
    }
    return out;
  };
  const OpList forward = stage(prof.forward), backward = stage(prof.backward);
  t.seconds_forward = time_ops(engine, forward).seconds;
  t.seconds_backward = time_ops(engine, backward).seconds;
  for (const OpList* list : {&forward, &backward}) {
    for (const Op& op : *list) {
      if (op.kind == OpKind::kAttention) t.seconds_attention += engine.time(op).seconds_stream * static_cast<double>(op.count);
    }
  }
  for (const StageProfile::Collective& c : prof.collectives) {
    if (c.embedding && t.pp > 1) continue;
    const double s = c.seconds * static_cast<double>(c.layer ? stage_count(c.count, t.pp) : c.count);
    const size_t part = static_cast<size_t>(c.part);
    switch (c.overlap) {
      case Overlap::kExposed: t.exposed += s; t.exposed_by_part[part] += s; break;
      case Overlap::kAttention: t.under_attention += s; break;
      case Overlap::kMicroBatch: t.under_micro_batch += s; break;
      case Overlap::kLastBackward:
      case Overlap::kNextForward: break;  // data-parallel: compose() adds them
    }
  }
  return t;
}

StepMemory step_memory(const TransformerSpec& spec, const StageMemory& stage, const Workload& w, const Hardware& hw,
                       const MemoryOptions& memory_options) {
  // Memory of the first and the last stage; the fuller one is reported.
  const Parallel& par = w.parallel;
  StepMemory r;
  const double m = static_cast<double>(par.micro_batches);
  const double stages = static_cast<double>(par.pp);
  const double chunks = static_cast<double>(par.virtual_stages);
  const double params = device_params(spec, par);
  const int64_t seq = w.seq / std::max<int64_t>(1, par.cp);
  const double per_layer = stage.bytes_activations_per_layer, working = stage.bytes_working_full_recompute;
  const double layers_per_stage = std::ceil(static_cast<double>(spec.num_layers) / stages);
  double in_flight = std::min(m, stages);
  if (par.virtual_stages > 1) in_flight *= 1 + (stages - 1) / (stages * chunks);
  const double dtp = static_cast<double>(par.tp);
  const double hidden_out = 2.0 * static_cast<double>(w.batch * seq * spec.hidden_size) / (par.sequence_parallel ? dtp : 1);
  r.bytes_activations_first_stage = layers_per_stage * per_layer * in_flight + working + hidden_out;
  double logits = spec.causal ? static_cast<double>(w.batch * seq) * static_cast<double>(spec.vocab_size) / dtp * (2 + 4)
                              : 0;
  r.bytes_activations_last_stage = layers_per_stage * per_layer + working + hidden_out + logits;
  if (par.pp == 1) r.bytes_activations_first_stage = r.bytes_activations_last_stage =
      layers_per_stage * per_layer * 1 + working + hidden_out + logits;

  const double dgroup = static_cast<double>(par.dp * par.cp);
  const double grad_bytes = par.zero >= 3 ? bytes_per_element(w.dtype) : bytes_per_element(w.grad_reduce_dtype);
  const double state_bytes = w.mixed_precision ? 12 : 4;
  auto device = [&](bool first, double activations) {
    MemoryReport m_;
    double dparams = first ? device_params(spec, par, true) : params;
    m_.bytes_weights = dparams * 2 / (par.zero >= 3 ? dgroup : 1);
    if (par.zero >= 3) {
      // The gathered weights of the layer being computed and of the one prefetched.
      m_.bytes_weights += 2 * 2 * dparams / std::max(1.0, layers_per_stage);
    }
    m_.bytes_gradients = dparams * grad_bytes / (par.zero >= 2 ? dgroup : 1);
    m_.bytes_optimizer = dparams * state_bytes / (par.zero >= 1 ? dgroup : 1);
    m_.bytes_activations = activations;
    m_.bytes_activations_per_layer = per_layer;
    m_.bytes_logits = first && par.pp > 1 ? 0 : logits;
    m_.bytes_runtime_overhead = memory_options.bytes_runtime_overhead;
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

ParallelPrediction compose(const TransformerSpec& spec, const StageProfile& prof, const StageTimes& st,
                           const Workload& w, const Hardware& hw, const TimingEngine& engine,
                           const MemoryOptions& memory_options) {
  const Parallel& par = w.parallel;
  ParallelPrediction r;
  r.workload = w;
  const int64_t cp = std::max<int64_t>(1, par.cp), tp = std::max<int64_t>(1, par.tp);
  const double act = bytes_per_element(w.dtype);
  const int64_t tokens = w.batch * (w.seq / cp);

  double exposed = st.exposed, under_attention = st.under_attention, under_micro_batch = st.under_micro_batch;
  double last_backward = 0, next_forward = 0;
  std::array<double, static_cast<size_t>(StepPart::kCount)> exposed_by_part = st.exposed_by_part;
  auto add = [&](CollectiveKind kind, double bytes, int64_t group, int64_t stride, Overlap overlap, int64_t count,
                 StepPart part) {
    if (group <= 1 || bytes <= 0) return;
    CollectiveShape c{kind, bytes, group, members_per_node(group, stride, par.gpus_per_node)};
    const double t = engine.collective_seconds(c) * static_cast<double>(count);
    switch (overlap) {
      case Overlap::kExposed: exposed += t; exposed_by_part[static_cast<size_t>(part)] += t; break;
      case Overlap::kAttention: under_attention += t; break;
      case Overlap::kMicroBatch: under_micro_batch += t; break;
      case Overlap::kLastBackward: last_backward += t; break;
      case Overlap::kNextForward: next_forward += t; break;
    }
  };
  // Pipeline sends (cost/lower_transformer.cc, pipeline_sends): one per model chunk each way.
  if (par.pp > 1) {
    const double bytes = static_cast<double>(tokens) * static_cast<double>(spec.hidden_size) * act /
                         static_cast<double>(tp);
    const int64_t chunks = std::max<int64_t>(1, par.virtual_stages);
    add(CollectiveKind::kSendRecv, bytes, 2, pp_stride(par), Overlap::kExposed, chunks, StepPart::kPipeline);
    add(CollectiveKind::kSendRecv, bytes, 2, pp_stride(par), Overlap::kExposed, chunks, StepPart::kPipeline);
  }
  // Data-parallel reduction and ZeRO's gathers (lower_transformer.cc, data_parallel).
  const int64_t group = par.dp * cp;
  const double params = device_params(spec, par);
  if (group > 1) {
    const int64_t stride = dp_stride(par);
    const double weights = params * act;
    const double grads = params * bytes_per_element(w.grad_reduce_dtype);
    if (par.zero >= 3) {
      add(CollectiveKind::kAllGather, weights, group, stride, Overlap::kMicroBatch, 1, StepPart::kDataParallel);
      add(CollectiveKind::kAllGather, weights, group, stride, Overlap::kMicroBatch, 1, StepPart::kDataParallel);
      add(CollectiveKind::kReduceScatter, weights, group, stride, Overlap::kMicroBatch, 1, StepPart::kDataParallel);
    } else if (par.zero == 0) {
      add(CollectiveKind::kAllReduce, grads, group, stride, Overlap::kLastBackward, 1, StepPart::kDataParallel);
    } else {
      add(CollectiveKind::kReduceScatter, grads, group, stride, Overlap::kLastBackward, 1, StepPart::kDataParallel);
      add(CollectiveKind::kAllGather, weights, group, stride, Overlap::kNextForward, 1, StepPart::kDataParallel);
    }
  }
  // The optimizer update of the device's shard (lower_transformer.cc, backward_and_optimizer).
  double t_opt = 0;
  if (w.optimizer_step && prof.optimizer.kind == OpKind::kOptimizer) {
    double shard = par.single_device() ? static_cast<double>(count_params(spec).total) : params;
    if (par.zero >= 1) shard /= static_cast<double>(par.dp * cp);
    Op op = prof.optimizer;  // its kind, dtype and flags; the sizes are the shard's
    op.flops = 12 * shard;
    op.bytes_read = shard * (w.mixed_precision ? 14 : 8);
    op.bytes_written = shard * (w.mixed_precision ? 14 : 6);
    t_opt = time_ops(engine, OpList{op}).seconds;
  }

  r.seconds_forward = st.seconds_forward;
  r.seconds_backward = st.seconds_backward;
  const double compute = r.seconds_forward + r.seconds_backward;
  const double cp_exposed = std::max(0.0, under_attention - st.seconds_attention);
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
  const double replicas = m * static_cast<double>(par.dp);
  r.flops_model_per_step = prof.flops.model_flops * replicas;
  r.flops_hardware_per_step = prof.flops.hardware_flops * replicas;
  const double devices = static_cast<double>(par.devices());
  const double peak = hw.peak(w.dtype);
  if (r.seconds_per_step > 0) {
    r.tokens_per_second = static_cast<double>(r.global_batch) * static_cast<double>(w.seq) / r.seconds_per_step;
    if (peak > 0) {
      r.mfu = r.flops_model_per_step / (r.seconds_per_step * devices * peak);
      r.hfu = r.flops_hardware_per_step / (r.seconds_per_step * devices * peak);
    }
  }

  StepMemory mem = step_memory(spec, prof.memory, w, hw, memory_options);
  r.memory = mem.memory;
  r.bytes_activations_first_stage = mem.bytes_activations_first_stage;
  r.bytes_activations_last_stage = mem.bytes_activations_last_stage;
  r.fits = mem.fits;
  return r;
}

Result<ParallelPrediction> predict_parallel_train(const TransformerSpec& spec, const Workload& w, const Hardware& hw,
                                                  const TimingEngine& engine, const MemoryOptions& memory_options) {
  if (w.phase != Phase::kTrainStep) return bad_input("predict_parallel_train: expected a training step");
  if (auto st = validate(w); !st) return st.error();
  if (auto st = check_parallel_layout(spec, w); !st) return st.error();
  if (!hw.supports(w.dtype)) {
    return bad_input(missing_peak_message(hw, w.dtype));
  }
  OpList ops = lower_transformer(spec, w);
  for (const Op& op : ops) {
    if (auto st = engine.check(op); !st) return st.error();
  }
  auto prof = profile_stage(spec, w, hw, engine, memory_options);
  if (!prof) return prof.error();
  ParallelPrediction r = compose(spec, *prof, stage_times(*prof, engine, w.parallel.pp), w, hw, engine, memory_options);
  r.ops = std::move(ops);
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
